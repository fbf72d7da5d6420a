"""The Schedule page: a painted day and week calendar, a month overview and booking."""
