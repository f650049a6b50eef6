# frozen_string_literal: true

# Runs Canvas LMS's own code (files listed in sources.toml, from a folder given on the command line) on our files,
# with the smallest stubs in place of Canvas's database and Rails. Our code, not Canvas's: the upstream files are
# read at run time and never part of this repository.
#
#   ruby canvas_harness.rb UPSTREAM_DIR JOB.json   ->  JSON on stdout
#
# Jobs ("action"):
#   download        ContentZipper (lib/content_zipper.rb) names and zips each submission's uploads and online
#                   entries as "Download Submissions" does (Attachment.make_unique_filename for repeated names).
#   reupload        Assignment#infer_comment_context_from_filename reads each member of a "Re-Upload Submissions"
#                   zip to a user, a submission and the attachment whose comment gets the file.
#   import_grades   GradebookImporter#parse! (lib/gradebook_importer.rb) reads a grade import CSV against the
#                   course's assignments, students and scores: which assignment, which student, what changes.
# Stubs say what Canvas would have in its database; every decision (names, columns, matches) is Canvas's code.

require "json"
require "csv"
require "set"
require "erb"
require "logger"
require "securerandom"
require "net/http"
require "tmpdir"
require "zip"
require "active_support"
require "active_support/core_ext"

UPSTREAM, JOBFILE = ARGV
JOB = JSON.parse(File.read(JOBFILE))

def upstream(path)
  file = File.join(UPSTREAM, "canvas-lms", path)
  unless File.file?(file)
    warn "missing upstream file canvas-lms/#{path} (see sources.toml)"
    exit 3
  end
  file
end

# The source of "def NAME ... end" in an upstream file: from the def line to the first "end" at its indentation
# (Canvas's files are laid out by rubocop, so this is the method). Defined into KLASS as the upstream file defines it.
def upstream_methods(path, klass, names)
  lines = File.readlines(upstream(path))
  names.each do |name|
    start = lines.index { |line| line =~ /^(\s*)def (self\.)?#{Regexp.escape(name)}(\(|\s|$)/ }
    abort "#{path}: no method #{name}" unless start
    indent = lines[start][/^\s*/]
    finish = (start + 1...lines.size).find { |i| lines[i].rstrip == "#{indent}end" }
    klass.class_eval(lines[start..finish].join, upstream(path), start + 1)
  end
end

# --- stubs: Rails and Canvas's database -------------------------------------------------------------------

module ActiveRecord
  # A record: attributes by name; "new" records (Canvas would insert them) know it.
  class Base
    def self.persisted(**attributes)
      new(**attributes).tap { |record| record.instance_variable_set(:@new_record, false) }
    end

    def initialize(**attributes)
      @attributes = attributes.transform_keys(&:to_s)
      @new_record = true
    end

    def new_record? = @new_record
    def changed? = false

    def method_missing(name, *args)
      key = name.to_s
      return @attributes[key.chomp("=")] = args.first if key.end_with?("=")
      return @attributes[key] if @attributes.key?(key) || args.empty?

      super
    end

    def respond_to_missing?(_name, _include_private = false) = true
  end
end

# A query: the records, whatever the scope chain asks for; "where" filters on equality (or membership in a list).
class Relation
  include Enumerable

  def initialize(records, build: nil)
    @records = records
    @build = build
  end

  def each(&) = @records.each(&)
  def to_a = @records.dup
  def preload(*) = self
  def published = self
  def gradeable = self
  def active = self
  def find_each(&) = @records.each(&)
  def build = @build.call

  def select(*fields, &block)
    block ? @records.select(&block) : self
  end

  def where(**conditions)
    Relation.new(@records.select do |record|
      conditions.all? do |key, value|
        wanted = Array.wrap(value).map { |v| v.respond_to?(:previous_id) && v.previous_id ? v.previous_id : (v.try(:id) || v) }
        wanted.map(&:to_s).include?(record.public_send(key).to_s)
      end
    end)
  end

  def pluck(*keys)
    @records.map { |r| keys.size == 1 ? r.public_send(keys.first) : keys.map { |k| r.public_send(k) } }
  end
end

module GuardRail
  def self.activate(_role) = yield
end

module I18n
  # Canvas's I18n.n (its number helper): the English format at the given precision.
  def self.n(value, precision: 2) = format("%.#{precision}f", Float(value))
end

class GradingPeriod
  def self.for(_context) = Relation.new([])
end

class EffectiveDueDates
  def self.for_course(_context, _assignments) = Struct.new(:x) { def find_effective_due_date(*) = {} }.new(nil)
end

class Attachment < ActiveRecord::Base; end
class Attachment
  class FailedResponse < StandardError; end
  REGISTRY = {}
  def self.where(id:) = Relation.new(Array.wrap(id).filter_map { |i| REGISTRY[i.to_i] })
end
upstream_methods("app/models/attachment.rb", Attachment, %w[make_unique_filename shorten_filename])

class User < ActiveRecord::Base
  REGISTRY = {}
  def self.where(id:) = Relation.new(Array.wrap(id).filter_map { |i| REGISTRY[i.to_i] })
  def last_name_first = sortable_name
end

class Submission < ActiveRecord::Base
  REGISTRY = []
  def self.active = Relation.new(REGISTRY)
  def grants_right?(*) = true
  def excused? = !!excused
end

class Assignment < ActiveRecord::Base
  def self.preload_unposted_anonymous_submissions(_assignments) = nil
  def unposted_anonymous_submissions? = false
end
upstream_methods("app/models/assignment.rb", Assignment, %w[title_and_id infer_comment_context_from_filename])

module ApplicationHelper; end
module Canvas
  module Errors
    def self.capture_exception(*) = nil
  end
end

class ContentZipper; end
upstream_methods("lib/content_zipper.rb", ContentZipper,
                 %w[add_attachment_to_zip mark_successful! add_file add_online_submission_content add_submission
                    add_text_or_url add_upload_submission get_filename get_uploaded_files_from get_user_name
                    sanitize_file_name sanitize_attachment_filename sanitize_user_name])
load upstream("lib/gradebook_importer.rb")

# A file of a submission: what ContentZipper zips and the re-upload checks.
class UploadedFile < ActiveRecord::Base
  def open = StringIO.new(content)
  def deleted? = false
  def grants_right?(*) = true
  def full_filename = display_name
end

def register_students(students)
  students.each do |s|
    user = User.persisted(id: s["user_id"], name: s["name"], sortable_name: s["sortable_name"])
    User::REGISTRY[s["user_id"]] = user
    files = (s["files"] || []).map do |f|
      Attachment::REGISTRY[f["attachment_id"]] = UploadedFile.persisted(
        id: f["attachment_id"], display_name: f["display_name"], filename: f["display_name"],
        content: (f["content_b64"] || "").unpack1("m0")
      )
    end
    next unless s["submission_type"]

    attachment_ids = files.map(&:id)
    Submission::REGISTRY << Submission.persisted(
      id: s["user_id"] * 10, user_id: s["user_id"], user:, assignment_id: JOB["assignment_id"],
      submission_type: s["submission_type"], attachment_ids: attachment_ids.join(","), late: s["late"] || false,
      score: s["score"], excused: false, anonymous_id: nil,
      attachments: Relation.new(attachment_ids.map { |id| Attachment::REGISTRY[id] })
    )
  end
end

def download(job)
  register_students(job["students"])
  zipper = ContentZipper.allocate
  zipper.instance_variable_set(:@assignment, Struct.new(:x) { def anonymize_students? = false }.new(nil))
  zipper.instance_variable_set(:@logger, Logger.new(File::NULL))
  students = User::REGISTRY.transform_values { |u| Struct.new(:sortable_name).new(+u.sortable_name) }
  Dir.mktmpdir do |views|     # the page an online entry is rendered with (its content is not what is checked)
    FileUtils.mkdir_p(File.join(views, "app/views/assignments"))
    %w[text_entry_page.html.erb redirect_page.html.erb].each do |page|
      File.write(File.join(views, "app/views/assignments", page), "<p>online entry</p>")
    end
    Dir.chdir(views) do
      Zip::File.open(job["zip"], Zip::File::CREATE) do |zipfile|
        Submission::REGISTRY.each do |submission|
          submission.define_singleton_method(:late?) { late }
          submission.define_singleton_method(:shard) { Struct.new(:x) { def activate = yield }.new(nil) }
          zipper.send(:add_submission, submission, students, zipfile)
        end
      end
    end
  end
  Zip::File.open(job["zip"]) { |zip| { members: zip.entries.map(&:name) } }
end

def reupload(job)
  register_students(job["students"])
  assignment = Assignment.persisted(id: job["assignment_id"])
  assignment.instance_variable_set(:@ignored_files, [])
  # Canvas's Relation#exists? for "submission.attachments.where(id:)"
  Relation.define_method(:exists?) { any? }
  Relation.define_method(:first) { to_a.first }
  mapped = Zip::File.open(job["zip"]) do |zip|
    zip.entries.map do |entry|
      found = assignment.send(:infer_comment_context_from_filename, entry.name)
      { file: entry.name, user_id: found && found[:user].id, display_name: found && found[:display_name] }
    end
  end
  { files: mapped, ignored: assignment.instance_variable_get(:@ignored_files) }
end

def import_grades(job)
  register_students(job["students"])
  assignments = job["assignments"].map do |a|
    Assignment.persisted(id: a["id"], title: a["title"], points_possible: a["points_possible"], grading_type: "points")
  end
  scores = job["scores"].map do |s|
    Submission.persisted(user_id: s["user_id"], assignment_id: s["assignment_id"], score: s["score"], excused: false)
  end
  students = User::REGISTRY.values
  assigned = students.to_h { |u| [u.id, assignments.map(&:id).to_set] }
  context = Struct.new(:x) do
    define_method(:assignments) { Relation.new(assignments, build: -> { Assignment.new }) }
    define_method(:all_students) { Relation.new(students) }
    define_method(:gradable_students) { Relation.new(students.map { |u| Struct.new(:user_id).new(u.id) }) }
    define_method(:submissions) { Relation.new(scores) }
    define_method(:assigned_assignment_ids_by_user) { assigned }
    def custom_grade_statuses = Relation.new([])
    def custom_gradebook_columns = Relation.new([])
    def preload_user_roles! = nil
    def account_membership_allows(_user) = true
    def grading_periods? = false
    def allow_final_grade_override? = false
    def students = nil
    attr_writer :students, :submissions, :assignments
  end.new(nil)
  upload = Struct.new(:course, :gradebook) { def save! = true }.new(context, nil)
  attachment = Struct.new(:path) { def open = File.open(path) }.new(job["csv"])
  progress = Struct.new(:message, :workflow_state) { def save = true }.new
  GradebookImporter.new(upload, attachment, User.persisted(id: 1), progress).parse!
  raise "Canvas refused the file: #{progress.message}" if progress.message

  gradebook = upload.gradebook
  {
    assignments: gradebook[:assignments].map { |a| a.slice(:id, :previous_id, :title) },
    new_assignments: gradebook[:assignments].select { |a| a[:id].to_i <= 0 }.map { |a| a[:title] },
    students: gradebook[:students].map do |s|
      { id: s[:previous_id], name: s[:name],
        submissions: s[:submissions].map { |sub| sub.slice("assignment_id", "grade", "original_grade", "gradeable") } }
    end,
    missing_students: gradebook[:missing_objects][:students].map { |s| s[:name] },
    unchanged_assignments: gradebook[:unchanged_assignments]
  }
end

result = case JOB["action"]
         when "download" then download(JOB)
         when "reupload" then reupload(JOB)
         when "import_grades" then import_grades(JOB)
         else abort "unknown action"
         end
puts JSON.generate(result)
