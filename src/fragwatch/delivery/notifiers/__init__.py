"""Notifiers: the channels a message leaves by (SMTP, .eml files, standard output).

Each one takes the finished message bytes and an envelope; what to send and when to retry is
the sender's business (``fragwatch.delivery.sender``).
"""

from fragwatch.delivery.notifiers.base import (
    ConnectionDeliveryError,
    DeliveryError,
    Notifier,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from fragwatch.delivery.notifiers.files import FileNotifier
from fragwatch.delivery.notifiers.smtp import SmtpNotifier
from fragwatch.delivery.notifiers.stdout import StdoutNotifier

__all__ = [
    "ConnectionDeliveryError",
    "DeliveryError",
    "FileNotifier",
    "Notifier",
    "PermanentDeliveryError",
    "SmtpNotifier",
    "StdoutNotifier",
    "TransientDeliveryError",
]
