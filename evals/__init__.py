"""Offline evaluation of the grader: datasets, metrics, calibration and reports."""
