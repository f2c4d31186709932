"""Delivery of outbox messages: one ``Sender`` protocol, one module per transport.

base.Sender          the seam: ``await sender.send(message)``
base.DeliveryError   raised by a sender; ``permanent`` decides retry or dead letter
smtp.SmtpSender      email over SMTP (text + HTML, per-locale templates)
console.*            development senders: SMS to the log, email to the dev mailbox
templates.Renderer   Jinja2 templates under ``templates/{email,sms}/<locale>/``
worker.OutboxWorker  claims due messages, sends them, records each outcome
"""
