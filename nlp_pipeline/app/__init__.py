"""What users run: the imr command, its subcommands, the review server and the HTML pages."""
