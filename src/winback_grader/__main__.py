"""``python -m winback_grader``: the same command line as ``winback-grader``."""

from winback_grader.cli import main

main()
