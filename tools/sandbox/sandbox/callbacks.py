"""Signed provider callbacks (webhooks) sent when an approval is decided."""

import base64
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from . import signing

TIMEOUT = 5
# never go through an http_proxy from the environment
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def verify_params(store, a):
    return {
        "uuid": str(uuid.uuid4()),
        "type": "challenge." + a.status,
        "account_sid": store.account_sid,
        "service_sid": store.verify_service,
        "entity_identity": a.identity,
        "challenge_sid": a.id,
        "factor_sid": a.extra["factor_sid"],
        "factor_type": "push",
        "factor_friendly_name": a.extra.get("factor_friendly_name") or "",
        "challenge_details": json.dumps(
            {"message": a.message, "fields": a.details}),
        "challenge_hidden_details": json.dumps(a.hidden_details or {}),
    }


def authy_body(store, a):
    created = int(a.created)
    return {
        "authy_id": a.extra["authy_id"],
        "device_uuid": a.extra["device_uuid"],
        "callback_action": "approval_request_status",
        "uuid": a.id,
        "status": a.status,
        "approval_request": {
            "transaction": {
                "details": {d["label"]: d["value"] for d in a.details},
                "hidden_details": a.hidden_details or None,
                "message": a.message,
                "encrypted": False,
                "flagged": False,
                "status": a.status,
                "uuid": a.id,
                "created_at_time": created,
                "device_details": {},
                "device_geolocation": "",
                "device_signing_time": int(a.decided or time.time()),
                "reason": "",
            },
            "expiration_timestamp": int(a.expires) if a.expires else None,
            "logos": a.extra.get("logos") or None,
            "app_id": store.authy_app_id,
        },
        "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
        "device": {
            "id": a.extra["device_uuid"],
            "os_type": "android",
            "registration_date": created - 86400,
            "registration_method": "push",
            "city": None, "country": None, "region": None, "ip": None,
            "last_account_recovery_at": None,
            "last_sync_date": created,
        },
    }


def build(store, a):
    """Returns (method, url, headers, body bytes) or None if no URL set."""
    if a.provider == "verify":
        url = store.verify_callback_url
        if not url:
            return None
        params = verify_params(store, a)
        body = urllib.parse.urlencode(sorted(params.items())).encode()
        sig = signing.twilio_signature(store.auth_token, url, params)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": sig,
                   "I-Twilio-Idempotency-Token": params["uuid"],
                   "User-Agent": "TwilioProxy/1.1"}
        return "POST", url, headers, body
    url = store.authy_callback_url
    if not url:
        return None
    obj = authy_body(store, a)
    nonce = str(int(time.time()))
    headers = {"X-Authy-Signature-Nonce": nonce,
               "User-Agent": "AuthyCallbacks/1.0"}
    if store.authy_callback_method == "GET":
        # as Authy sends them: arrays without indexes (logos[][res]), signed
        # as the receiver sees the query
        pairs = signing.flatten(obj, indexes=False)
        sig, _ = signing.authy_signature(store.authy_api_key, nonce, "GET",
                                         url, pairs)
        sep = "&" if "?" in url else "?"
        full = url + sep + urllib.parse.urlencode(pairs)
        headers["X-Authy-Signature"] = sig
        return "GET", full, headers, b""
    body = json.dumps(obj).encode()
    sig, _ = signing.authy_signature(store.authy_api_key, nonce, "POST", url,
                                     signing.flatten(obj))
    headers["X-Authy-Signature"] = sig
    headers["Content-Type"] = "application/json"
    return "POST", url, headers, body


def send(store, a):
    with store.lock:
        built = build(store, a)
    if built is None:
        return
    method, url, headers, body = built
    rec = {"provider": a.provider, "approval_id": a.id, "method": method,
           "url": url, "headers": headers,
           "body": body.decode("utf-8", "replace"), "time": time.time(),
           "status": None, "error": None, "response": None}
    req = urllib.request.Request(url, data=body if method == "POST" else None,
                                 headers=headers, method=method)
    try:
        with _OPENER.open(req, timeout=TIMEOUT) as resp:
            rec["status"] = resp.status
            rec["response"] = resp.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        rec["status"] = e.code
        try:
            rec["response"] = e.read(4096).decode("utf-8", "replace")
        except Exception:
            pass
    except Exception as e:              # connection refused, timeout, ...
        rec["error"] = "%s: %s" % (type(e).__name__, e)
    rec["done"] = time.time()
    store.log_callback(rec)


def send_async(store, a):
    t = threading.Thread(target=send, args=(store, a), daemon=True)
    t.start()
