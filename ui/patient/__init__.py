"""Screens of one patient: the record window, the registration form and their parts."""
