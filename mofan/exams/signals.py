"""Signals other apps listen to (the learning app awards points from them)."""

from django.dispatch import Signal

# Sent by exams.services after an attempt is submitted (by the learner or automatically at its deadline) and
# after a marker finishes marking it. Keyword arguments: ``attempt`` (exams.Attempt), ``passed`` (bool or None
# while short answers wait for marking).
attempt_submitted = Signal()
