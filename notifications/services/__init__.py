"""Writes for notifications: recording notices for case events (recording.py), sending
them once (delivery.py), Twilio's status reports (status.py), the inbox and preferences
(inbox.py)."""
