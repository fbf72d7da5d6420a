"""Printed forms (PDF) built with reportlab."""
