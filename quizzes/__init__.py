"""Question bank, seeded numeric questions, exporters for LMS/live-poll tools and poll-result charts
for the MachineLearnAthon micro-lecture "Neural Networks". See quizzes/README.md."""
from quizzes.model import BankError, ClassResults, Option, Question, Quiz, load_bank, parse_bank

__all__ = ["BankError", "ClassResults", "Option", "Question", "Quiz", "load_bank", "parse_bank"]
