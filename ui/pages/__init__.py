"""The pages the main window's navigation list switches between."""
