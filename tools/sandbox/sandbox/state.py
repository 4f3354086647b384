"""In-memory state of the sandbox: credentials, Verify entities/factors/
challenges, Authy users/approvals, the call log, failure rules, callbacks."""

import json
import os
import secrets
import threading
import time
import uuid

ISO = "%Y-%m-%dT%H:%M:%SZ"


def iso(t):
    return None if t is None else time.strftime(ISO, time.gmtime(t))


def sid(prefix):
    return prefix + uuid.uuid4().hex


class Approval:
    """A Verify challenge or an Authy approval request."""

    def __init__(self, provider, ident, identity, message, details,
                 hidden_details, expires, **extra):
        self.provider = provider          # "verify" | "authy"
        self.id = ident                   # YC... | uuid
        self.identity = identity          # entity identity | authy id (str)
        self.message = message
        self.details = details            # [{"label","value"}]
        self.hidden_details = hidden_details or {}
        self.created = time.time()
        self.updated = self.created
        self.expires = expires            # unix time or None (never)
        self.status = "pending"
        self.decided = None
        self.extra = extra

    def refresh(self, now=None):
        now = time.time() if now is None else now
        if self.status == "pending" and self.expires is not None \
                and now >= self.expires:
            self.status = "expired"
            self.updated = self.expires
        return self.status

    def view(self):
        self.refresh()
        return {
            "id": self.id, "provider": self.provider,
            "identity": self.identity, "status": self.status,
            "message": self.message, "details": self.details,
            "hidden_details": self.hidden_details,
            "logos": self.extra.get("logos") or [],
            "factor_sid": self.extra.get("factor_sid"),
            "created": self.created, "expires": self.expires,
            "decided": self.decided,
        }


class Store:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.account_sid = args.account_sid
        self.auth_token = args.auth_token
        self.api_key_sid = args.api_key_sid
        self.api_key_secret = args.api_key_secret
        self.verify_service = args.verify_service
        self.authy_api_key = args.authy_api_key
        self.verify_callback_url = args.verify_callback_url
        self.authy_callback_url = args.authy_callback_url
        self.authy_callback_method = "POST"
        self.authy_app_id = secrets.token_hex(12)
        self.state_dir = args.state_dir
        self.base_url = None              # set by the server once bound
        self.clear()

    def clear(self):
        with self.lock:
            self.entities = {}            # identity -> dict
            self.factors = {}             # YF -> dict
            self.access_tokens = {}       # jwt -> dict
            self.authy_users = {}         # int id -> dict
            self.next_authy_id = 1635
            self.approvals = {}           # id -> Approval (both providers)
            self.order = []               # approval ids, creation order
            self.calls = []
            self.callbacks = []
            self.fail_rules = []
            self.auto = None              # (status, delay) or None

    # ---- Verify -------------------------------------------------------
    def ensure_entity(self, identity):
        with self.lock:
            ent = self.entities.get(identity)
            if ent is None:
                now = time.time()
                ent = {"sid": sid("YE"), "identity": identity,
                       "created": now, "updated": now, "factors": []}
                self.entities[identity] = ent
            return ent

    def add_factor(self, identity, friendly_name="Sandbox phone",
                   status="unverified", platform="fcm", app_id=None,
                   public_key=None, token=None, sdk_version=None,
                   metadata=None, alg="ES256"):
        with self.lock:
            ent = self.ensure_entity(identity)
            now = time.time()
            f = {"sid": sid("YF"), "identity": identity,
                 "entity_sid": ent["sid"], "friendly_name": friendly_name,
                 "status": status, "created": now, "updated": now,
                 "config": {"sdk_version": sdk_version or "sandbox-1.0",
                            "app_id": app_id or "org.example.sandbox",
                            "notification_platform": platform,
                            "notification_token": token},
                 "binding": {"public_key": public_key or "sandbox-key",
                             "alg": alg},
                 "metadata": metadata}
            self.factors[f["sid"]] = f
            ent["factors"].append(f["sid"])
            return f

    def add_entity(self, identity, factor_status="verified"):
        with self.lock:
            ent = self.ensure_entity(identity)
            f = None
            if factor_status in ("verified", "unverified"):
                f = self.add_factor(identity, status=factor_status)
            return ent, f

    # ---- Authy --------------------------------------------------------
    def add_authy_user(self, uid=None, email=None, cellphone=None,
                       country_code="1"):
        with self.lock:
            if uid is None:
                uid = self.next_authy_id
                while uid in self.authy_users:
                    uid += 1
            uid = int(uid)
            self.next_authy_id = max(self.next_authy_id, uid + 1)
            u = self.authy_users.get(uid)
            if u is None:
                u = {"id": uid, "email": email or "user%d@example.org" % uid,
                     "cellphone": cellphone or "5551234567",
                     "country_code": str(country_code),
                     "created": time.time(), "device_uuid": 10000 + uid % 90000}
                self.authy_users[uid] = u
            return u

    # ---- approvals ----------------------------------------------------
    def add_approval(self, appr):
        with self.lock:
            self.approvals[appr.id] = appr
            self.order.append(appr.id)
            auto = self.auto
        if auto:
            status, delay = auto
            t = threading.Timer(delay, self._auto_decide, (appr.id, status))
            t.daemon = True
            t.start()
        self.persist()
        return appr

    def _auto_decide(self, ident, status):
        try:
            self.decide(ident, status)
        except Exception:
            pass

    def decide(self, ident, status, callback=True):
        """Returns 200, 404 (unknown) or 409 (already decided)."""
        from . import callbacks
        with self.lock:
            appr = self.approvals.get(ident)
            if appr is None:
                return 404
            if appr.refresh() != "pending":
                return 409
            now = time.time()
            appr.status = status
            appr.decided = now
            appr.updated = now
        if callback:
            callbacks.send_async(self, appr)
        self.persist()
        return 200

    def expire(self, ident):
        with self.lock:
            appr = self.approvals.get(ident)
            if appr is None:
                return 404
            if appr.refresh() != "pending":
                return 409
            now = time.time()
            appr.expires = now
            appr.refresh(now)
        self.persist()
        return 200

    def approval_list(self, identity=None, provider=None):
        with self.lock:
            out = []
            for i in self.order:
                a = self.approvals[i]
                if identity is not None and a.identity != identity:
                    continue
                if provider is not None and a.provider != provider:
                    continue
                out.append(a.view())
            return out

    # ---- logs ---------------------------------------------------------
    def log_call(self, call):
        with self.lock:
            self.calls.append(call)

    def log_callback(self, rec):
        with self.lock:
            self.callbacks.append(rec)

    def take_fail_rule(self, method, path):
        with self.lock:
            for r in self.fail_rules:
                if r["count"] <= 0:
                    continue
                if r.get("path") and r["path"] not in path:
                    continue
                if r.get("method") and r["method"].upper() != method.upper():
                    continue
                r["count"] -= 1
                rule = dict(r)
                self.fail_rules = [x for x in self.fail_rules if x["count"] > 0]
                return rule
            return None

    # ---- optional snapshot for humans ---------------------------------
    def persist(self):
        if not self.state_dir:
            return
        try:
            with self.lock:
                snap = {"approvals": self.approval_list(),
                        "entities": {k: dict(v) for k, v in self.entities.items()},
                        "factors": self.factors,
                        "authy_users": {str(k): v for k, v in self.authy_users.items()}}
            os.makedirs(self.state_dir, exist_ok=True)
            tmp = os.path.join(self.state_dir, ".state.json.%d" % os.getpid())
            with open(tmp, "w") as fh:
                json.dump(snap, fh, indent=1, default=str)
            os.replace(tmp, os.path.join(self.state_dir, "state.json"))
        except OSError:
            pass
