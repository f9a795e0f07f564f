"""``python -m trustsurvey`` runs the command line."""

from trustsurvey.cli import main

main()
