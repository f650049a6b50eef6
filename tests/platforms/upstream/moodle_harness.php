<?php
// Runs Moodle's own code (files listed in sources.toml, from a folder given on the command line) on our files,
// with the smallest stubs in place of Moodle's database, file storage and pages. Our code, not Moodle's: the
// upstream files are read at run time and never part of this repository.
//
//   php moodle_harness.php UPSTREAM_DIR JOB.json      ->  JSON on stdout
//
// Jobs ("action"):
//   download             mod_assign\downloader (Moodle >= 4.1) writes "Download all submissions" for the given
//                        students and files into "zip"; the names come from its get_student_prefix and
//                        load_submissionplugin_filelist, with Moodle's clean_param PARAM_FILE / PARAM_PATH.
//   import_grades        assign_feedback_offline::process_import_grades with assignfeedback_offline_grade_importer
//                        and csv_import_reader reads "csv" into the given participants' grades and comments.
//   import_feedback_zip  assignfeedback_file_zip_importer::import_zip_files maps the members of "zip" to
//                        participants and feedback files.
// Stubs say what Moodle would have in its database; every decision (which column, which user, skip or write,
// which file goes where) is Moodle's code.

declare(strict_types=0);
error_reporting(E_ALL);
define('MOODLE_INTERNAL', 1);
define('PARAM_FILE', 'file');
define('PARAM_PATH', 'path');
define('ASSIGNFEEDBACK_FILE_FILEAREA', 'feedback_files');
define('ASSIGNFEEDBACK_FILE_IMPORT_FILEAREA', 'import');
define('ASSIGNFEEDBACK_FILE_MAXFILEUNZIPTIME', 120);
define('MEMORY_EXTRA', -2);

[$_, $UPSTREAM, $JOBFILE] = $argv;
$JOB = json_decode(file_get_contents($JOBFILE), true, 512, JSON_THROW_ON_ERROR);
$STUBBED = [];     // upstream pieces the folder did not have and a stub stood in for (reported in the output)

// --- reading upstream code -------------------------------------------------------------------------------

function upstream_source(string $path): string {
    global $UPSTREAM;
    $file = "$UPSTREAM/moodle/$path";
    if (!is_file($file)) {
        fwrite(STDERR, "missing upstream file moodle/$path (see sources.toml)\n");
        exit(3);
    }
    return file_get_contents($file);
}

/** The source of "function $name(...) {...}" in $source, braces matched on PHP's own tokens (strings and comments
 *  cannot end it early); with its doc comment and modifiers. null if absent. */
function upstream_function(string $source, string $name): ?string {
    $tokens = token_get_all($source);
    $count = count($tokens);
    for ($i = 0; $i < $count; $i++) {
        if (!is_array($tokens[$i]) || $tokens[$i][0] !== T_FUNCTION) {
            continue;
        }
        $j = $i + 1;
        while ($j < $count && is_array($tokens[$j]) && $tokens[$j][0] === T_WHITESPACE) {
            $j++;
        }
        if (!is_array($tokens[$j]) || $tokens[$j][1] !== $name) {
            continue;
        }
        $start = $i;     // back over modifiers (public, static, ...)
        for ($k = $i - 1; $k >= 0; $k--) {
            if (is_array($tokens[$k]) && in_array($tokens[$k][0], [T_WHITESPACE, T_PUBLIC, T_PROTECTED, T_PRIVATE,
                                                                    T_STATIC, T_FINAL, T_ABSTRACT], true)) {
                if ($tokens[$k][0] !== T_WHITESPACE) {
                    $start = $k;
                }
                continue;
            }
            break;
        }
        $depth = 0;
        $text = '';
        for ($k = $start; $k < $count; $k++) {
            $piece = is_array($tokens[$k]) ? $tokens[$k][1] : $tokens[$k];
            $text .= $piece;
            if ($piece === '{' || (is_array($tokens[$k]) && in_array($tokens[$k][0], [T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES], true))) {
                $depth++;
            } else if ($piece === '}') {
                $depth--;
                if ($depth === 0) {
                    return $text;
                }
            }
        }
    }
    return null;
}

/** The English strings of a language file ($string['key'] = '...';), parsed by PHP itself. */
function upstream_strings(string $path): array {
    $string = [];
    eval('?>' . upstream_source($path));
    return $string;
}

$STRINGS = [
    'moodle' => upstream_strings('lang/en/moodle.php'),
    'assign' => upstream_strings('mod/assign/lang/en/assign.php'),
    'langconfig' => ['decsep' => '.'],      // the English language pack's decimal separator
];

// --- stubs: Moodle's environment ---------------------------------------------------------------------------

function get_string($identifier, $component = '', $a = null) {
    global $STRINGS;
    $component = $component === '' ? 'moodle' : preg_replace('/^mod_/', '', $component);
    if (isset($STRINGS[$component][$identifier])) {
        return $STRINGS[$component][$identifier];
    }
    return "[[$identifier]]";      // page texts nobody reads here
}
function fix_utf8($value) {        // stub: lib/weblib.php's drops invalid UTF-8; our inputs are valid UTF-8
    return $value;
}
class core_text {
    public static function convert($text, $fromcode, $tocode = 'utf-8') {
        return mb_convert_encoding($text, $tocode, $fromcode);
    }
    public static function trim_utf8_bom($str) {
        return strpos($str, "\xef\xbb\xbf") === 0 ? substr($str, 3) : $str;
    }
}
function make_temp_directory($directory) {
    global $CFG;
    $path = $CFG->tempdir . '/' . trim($directory, '/');
    if (!is_dir($path)) {
        mkdir($path, 0700, true);
    }
    return $path;
}
function remove_dir($dir) {
    return true;
}
function require_sesskey() {
}
function require_capability($capability, $context) {
}
function has_capability($capability, $context) {
    return true;
}
function redirect($url) {
    throw new RuntimeException('redirected: the import found no file');
}
function print_error($errorcode, $module = '', $link = '') {
    throw new RuntimeException("Moodle error $module/$errorcode");
}
function make_menu_from_list($list) {
    throw new RuntimeException('scales are not used here');
}
function fullname($user, $override = false) {
    return $user->firstname . ' ' . $user->lastname;
}
function format_string($text) {
    return $text;
}
function get_user_preferences($name, $default = null) {
    global $JOB;
    return $name === 'assign_downloadasfolders' ? ($JOB['downloadasfolders'] ?? 1) : $default;
}
function groups_get_activity_groupmode($cm) {
    return 0;
}
function groups_get_activity_group($cm, $update = false) {
    return 0;
}
function groups_is_member($groupid, $userid) {
    return true;
}
function get_enrolled_users() {
    global $ASSIGN;
    return $ASSIGN->users;
}
function raise_memory_limit($limit) {
}
function get_file_packer($mimetype) {
    return null;
}
class core_php_time_limit {
    public static function raise($seconds = 0) {
    }
}
class moodle_url {
    public function __construct($url, $params = []) {
    }
}
class context_user {
    public static function instance($id) {
        return (object)['id' => 1];
    }
}
class assign_header {
    public function __construct(...$args) {
    }
}
class assignfeedback_file_import_summary {
    public function __construct(...$args) {
    }
}
class stub_renderer {
    public function render($thing) { return ''; }
    public function box($text) { return $text; }
    public function continue_button($url) { return ''; }
    public function render_footer() { return ''; }
}
$PAGE = new class {
    public function get_renderer($component) {
        return new stub_renderer();
    }
};
$CFG = (object)['tempdir' => sys_get_temp_dir() . '/learnathon-moodle-' . getmypid()];
// Files Moodle's code require_once()s for page output only are empty here (their classes are stubbed above).
$CFG->dirroot = $CFG->tempdir . '/dirroot';
@mkdir($CFG->dirroot . '/mod/assign/feedback/file', 0700, true);
file_put_contents($CFG->dirroot . '/mod/assign/feedback/file/renderable.php', '<?php');
$USER = (object)['id' => 2];
$DB = null;

/** A file in Moodle's file storage: what the downloader zips and the feedback importer reads. */
class stored_file {
    public function __construct(public string $filepath, public string $filename, public string $content,
                                public bool $directory = false) {
    }
    public function get_filepath() { return $this->filepath; }
    public function get_filename() { return $this->filename; }
    public function get_content() { return $this->content; }
    public function get_contenthash() { return sha1($this->content); }
    public function is_directory() { return $this->directory; }
}

class assign_plugin {
    public function __construct(public string $subtype, public string $type) {
    }
    public function get_subtype() { return $this->subtype; }
    public function get_type() { return $this->type; }
    public function is_enabled() { return true; }
    public function is_visible() { return true; }
    public function get_editor_fields() { return []; }
}
/** assignsubmission_file: the student's uploaded files, keyed as its get_files() keys them. */
class submission_file_plugin extends assign_plugin {
    public function __construct(public array $files) {
        parent::__construct('assignsubmission', 'file');
    }
    public function get_files($submission, $user) {
        $result = [];
        foreach ($this->files[$user->id] ?? [] as $file) {
            $result[empty($submission->exportfullpath) ? $file->filename : $file->filepath . $file->filename] = $file;
        }
        return $result;
    }
}
/** assignfeedback_comments: the teachers' comments, one per grade (its editor field is titled by its plugin name). */
class feedback_comments_plugin extends assign_plugin {
    public array $comments = [];
    public function __construct() {
        parent::__construct('assignfeedback', 'comments');
    }
    public function get_editor_fields() {
        return ['comments' => 'Feedback comments'];      // get_string('pluginname', 'assignfeedback_comments')
    }
    public function get_editor_text($name, $gradeid) { return $this->comments[$gradeid] ?? ''; }
    public function set_editor_text($name, $value, $gradeid) { $this->comments[$gradeid] = $value; return true; }
    public function text_for_gradebook($grade) { return $this->comments[$grade->id] ?? ''; }
    public function format_for_gradebook($grade) { return 1; }
}
class feedback_file_plugin extends assign_plugin {
    public function __construct() {
        parent::__construct('assignfeedback', 'file');
    }
    public function update_file_count($grade) {
    }
    public function get_files($grade, $user) { return []; }
}

/** The assignment: participants with their participant ids, grades (assign_grades rows) and plugins. */
class assign {
    public array $users = [];
    public array $participantids = [];     // user id => participant id (assign_user_mapping)
    public array $grades = [];             // user id => grade row
    public array $written = [];            // user ids whose grade update_grade() wrote
    public array $submissions = [];
    public array $plugins = [];
    public int $nextgradeid = 1000;
    public function __construct(public stdClass $instance, public submission_file_plugin $submissionfiles,
                                public feedback_comments_plugin $comments, public feedback_file_plugin $feedbackfiles) {
    }
    public function get_instance() { return $this->instance; }
    public function get_course() { return (object)['shortname' => 'NN']; }
    public function get_course_module() { return (object)['id' => 77]; }
    public function get_context() { return (object)['id' => 88]; }
    public function require_view_grades() { }
    public function show_only_active_users() { return true; }
    public function is_blind_marking() { return false; }
    public function get_submission_plugins() { return [$this->submissionfiles]; }
    public function get_feedback_plugins() { return [$this->comments, $this->feedbackfiles]; }
    public function get_plugin_by_type($subtype, $type) {
        foreach ([$this->submissionfiles, $this->comments, $this->feedbackfiles] as $plugin) {
            if ($plugin->get_subtype() === $subtype && $plugin->get_type() === $type) {
                return $plugin;
            }
        }
        return null;
    }
    public function get_user_submission($userid, $create) {
        return isset($this->submissions[$userid]) ? (object)['id' => $userid, 'userid' => $userid] : false;
    }
    public function get_uniqueid_for_user($userid) { return $this->participantids[$userid]; }
    public function get_user_id_for_uniqueid($uniqueid) {
        $found = array_search((int)$uniqueid, $this->participantids, true);
        return $found === false ? false : $found;
    }
    public function list_participants($groupid, $idsonly) { return $this->users; }
    public function get_user_grade($userid, $create) {
        if (!isset($this->grades[$userid]) && $create) {
            $this->grades[$userid] = (object)['id' => $this->nextgradeid++, 'userid' => $userid, 'grade' => -1,
                                              'timemodified' => time(), 'grader' => 0];
        }
        return $this->grades[$userid] ?? false;
    }
    public function update_grade($grade) {
        $grade->timemodified = time();
        $this->grades[$grade->userid] = $grade;
        $this->written[$grade->userid] = true;
        return true;
    }
    public function notify_grade_modified($grade) { }
    public function grading_disabled($userid) { return false; }
    public function get_admin_config() { return (object)['feedback_plugin_for_gradebook' => 'assignfeedback_comments']; }
    public function get_renderer() { return new stub_renderer(); }
}

// --- upstream code, loaded ----------------------------------------------------------------------------------

$param = upstream_source('lib/classes/param.php');
eval('class upstream_param_cleaner { ' . upstream_function($param, 'clean_param_value_file') . ' '
     . upstream_function($param, 'clean_param_value_path')
     . ' public function clean($type, $value) { return $this->{"clean_param_value_$type"}($value); } }');
function clean_param($param, $type) {      // lib/moodlelib.php's is \core\param::from_type($type)->clean($param)
    static $cleaner = null;
    $cleaner ??= new upstream_param_cleaner();
    return $cleaner->clean($type, $param);
}
$moodlelib = upstream_source('lib/moodlelib.php');
eval(upstream_function($moodlelib, 'unformat_float'));
$cleanfilename = upstream_function($moodlelib, 'clean_filename');
if ($cleanfilename === null) {
    $STUBBED[] = 'lib/moodlelib.php clean_filename: stubbed as clean_param($string, PARAM_FILE)';
    function clean_filename($string) {
        return clean_param($string, PARAM_FILE);
    }
} else {
    eval($cleanfilename);
}

require "$UPSTREAM/moodle/lib/csvlib.class.php";
require "$UPSTREAM/moodle/mod/assign/feedback/offline/importgradeslib.php";
require "$UPSTREAM/moodle/mod/assign/feedback/file/importziplib.php";
eval('class upstream_offline_feedback { public $assignment; '
     . upstream_function(upstream_source('mod/assign/feedback/offline/locallib.php'), 'process_import_grades') . ' }');

// Namespaced stubs the downloader uses, then the downloader itself.
eval('namespace core_files; class archive_writer { const ZIP_WRITER = "zip";
    public static function get_stream_writer($filename, $type) { return new \zip_stream_stub(); } }');
eval('namespace mod_assign\event; class all_submissions_downloaded {
    public static function create_from_assign($assign) { return new self(); } public function trigger() {} }');
eval('namespace core\session; class manager { public static function write_close() {} }');
eval('namespace mod_assign\output; class assign_header { public function __construct(...$args) {} }');
class zip_stream_stub {
    private ZipArchive $zip;
    public function __construct() {
        global $JOB;
        $this->zip = new ZipArchive();
        $this->zip->open($JOB['zip'], ZipArchive::CREATE | ZipArchive::OVERWRITE);
    }
    public function add_file_from_stored_file($path, stored_file $file) { $this->zip->addFromString($path, $file->get_content()); }
    public function add_file_from_string($path, $content) { $this->zip->addFromString($path, $content); }
    public function finish() {
        global $JOB, $STUBBED;
        $this->zip->close();
        $zip = new ZipArchive();
        $zip->open($JOB['zip']);
        $members = [];
        for ($i = 0; $i < $zip->numFiles; $i++) {
            $members[] = $zip->getNameIndex($i);
        }
        echo json_encode(['members' => $members, 'stubbed' => $STUBBED], JSON_UNESCAPED_UNICODE), "\n";
    }
}
require "$UPSTREAM/moodle/mod/assign/classes/downloader.php";

// --- the job -----------------------------------------------------------------------------------------------

function make_assignment(array $job): assign {
    $files = [];
    $assign = new assign((object)['teamsubmission' => 0, 'grade' => $job['max_grade'] ?? 100, 'name' => 'Tiny'],
                         new submission_file_plugin($files), new feedback_comments_plugin(), new feedback_file_plugin());
    foreach ($job['participants'] as $p) {
        $user = (object)['id' => $p['userid'], 'firstname' => $p['firstname'], 'lastname' => $p['lastname']];
        $assign->users[$p['userid']] = $user;
        $assign->participantids[$p['userid']] = $p['participant'];
        if (!empty($p['files'])) {
            $assign->submissions[$p['userid']] = true;
            foreach ($p['files'] as $f) {
                $files[$p['userid']][] = new stored_file($f['filepath'] ?? '/', $f['filename'], base64_decode($f['content_b64']));
            }
        }
        if (array_key_exists('grade', $p)) {         // a grade row exists in Moodle
            $gradeid = $assign->nextgradeid++;
            $assign->grades[$p['userid']] = (object)['id' => $gradeid, 'userid' => $p['userid'], 'grade' => $p['grade'],
                                                     'timemodified' => $p['grade_timemodified'] ?? 0];
            if (isset($p['comment'])) {
                $assign->comments->comments[$gradeid] = $p['comment'];
            }
        }
    }
    $assign->submissionfiles->files = $files;
    return $assign;
}

function state_of(assign $assign): array {
    $users = [];
    foreach ($assign->users as $id => $user) {
        $grade = $assign->grades[$id] ?? null;
        $users[(string)$assign->participantids[$id]] = [
            'grade' => $grade ? $grade->grade : null,
            'grade_written' => isset($assign->written[$id]),
            'comment' => $grade ? ($assign->comments->comments[$grade->id] ?? '') : '',
        ];
    }
    return $users;
}

$ASSIGN = make_assignment($JOB);
make_temp_directory('csvimport/assignfeedback_offline/' . $USER->id);

switch ($JOB['action']) {
    case 'download':
        $downloader = new \mod_assign\downloader($ASSIGN);
        $downloader->load_filelist();
        $downloader->download_zip();      // prints the members, exits
        break;

    case 'import_grades':
        $csv = file_get_contents($JOB['csv']);
        $fs = new class($csv) {
            public function __construct(private string $csv) { }
            public function get_area_files(...$args) { return [new stored_file('/', 'grades.csv', $this->csv)]; }
        };
        function get_file_storage() {
            global $fs;
            return $fs;
        }
        $plugin = new upstream_offline_feedback();
        $plugin->assignment = $ASSIGN;
        $importid = csv_import_reader::get_new_iid('assignfeedback_offline');
        $page = $plugin->process_import_grades(1, $importid, (bool)($JOB['ignoremodified'] ?? false));
        echo json_encode(['participants' => state_of($ASSIGN), 'summary' => strip_tags($page), 'stubbed' => $STUBBED],
                         JSON_UNESCAPED_UNICODE), "\n";
        break;

    case 'import_feedback_zip':
        $zip = new ZipArchive();
        $zip->open($JOB['zip']);
        $extracted = [];     // what get_file_packer()->extract_to_storage leaves in the import area: path '/import/...'
        for ($i = 0; $i < $zip->numFiles; $i++) {
            $name = $zip->getNameIndex($i);
            $slash = strrpos($name, '/');
            $extracted[] = new stored_file('/import/' . ($slash === false ? '' : substr($name, 0, $slash + 1)),
                                           $slash === false ? $name : substr($name, $slash + 1), $zip->getFromIndex($i),
                                           str_ends_with($name, '/'));
        }
        $created = [];
        $fs = new class($extracted) {
            public array $created = [];
            public function __construct(private array $extracted) { }
            public function get_directory_files(...$args) { return $this->extracted; }
            public function get_file(...$args) { return false; }
            public function create_file_from_storedfile($record, $file) { $this->created[] = [$record, $file]; }
        };
        function get_file_storage() {
            global $fs;
            return $fs;
        }
        $importer = new assignfeedback_file_zip_importer();
        $importer->import_zip_files($ASSIGN, $ASSIGN->feedbackfiles);
        $byuser = array_flip(array_map(fn($g) => $g->id, $ASSIGN->grades));
        foreach ($fs->created as [$record, $file]) {
            $userid = $byuser[$record->itemid];
            // file_storage::create_file_from_storedfile cleans the path with PARAM_PATH first ("//" -> "/").
            $created[] = ['participant' => $ASSIGN->participantids[$userid],
                          'filepath' => clean_param($record->filepath, PARAM_PATH),
                          'filename' => $record->filename, 'sha1' => sha1($file->get_content())];
        }
        echo json_encode(['feedback_files' => $created, 'stubbed' => $STUBBED], JSON_UNESCAPED_UNICODE), "\n";
        break;

    default:
        fwrite(STDERR, "unknown action\n");
        exit(2);
}
