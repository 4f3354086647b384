"""Local provider sandbox for ngx_http_push_approval_module.

Plays Twilio Verify Push (v2), Authy OneTouch and the approver's phone on one
machine. Standard library only.
"""
