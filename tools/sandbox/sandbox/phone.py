"""The approver's phone: GET /phone lists pending approvals, POST
/phone/decide approves or denies (works without JavaScript)."""

import html
import time
import urllib.parse

from .messages import Response
from .params import parse_pairs

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="2"></noscript>
<title>Sandbox phone</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;padding:12px;background:#f3f4f6;color:#111}}
h1{{font-size:1.3em;margin:.2em 0 .6em}}
.card{{background:#fff;border-radius:12px;padding:14px;margin:0 0 12px;box-shadow:0 1px 3px #0002}}
.prov{{font-size:.8em;text-transform:uppercase;color:#555}}
.msg{{font-size:1.15em;font-weight:600;margin:.3em 0}}
table{{border-collapse:collapse;margin:.3em 0}}td{{padding:2px 8px 2px 0;vertical-align:top}}
td.l{{color:#555}}
.left{{color:#b45309}}
form{{display:inline}}
button{{font-size:1.2em;padding:14px 0;width:48%;border:0;border-radius:10px;color:#fff;margin-top:8px}}
.ok{{background:#15803d}}.no{{background:#b91c1c;float:right}}
.st-approved{{color:#15803d}}.st-denied{{color:#b91c1c}}.st-expired{{color:#6b7280}}
.empty{{color:#555}}
</style></head><body>
<h1>Sandbox phone{title}</h1>
{filter}
<h2>Pending</h2>
<div id="pending">{pending}</div>
<h2>Recent</h2>
<div id="recent">{recent}</div>
<p class="empty">Provider sandbox &middot; updates every 2&nbsp;s</p>
{script}</body></html>
"""

# Without JavaScript the page reloads itself (noscript refresh); with it,
# the lists are fetched every 2 s and replaced only when an approval came
# or went, so a tap on a button is never lost to a reload; the time left
# counts down in place.
SCRIPT = """<script>
(function () {
  function ids(el) {
    return Array.prototype.map.call(el.querySelectorAll('.card[data-id]'),
      function (c) { return c.getAttribute('data-id'); }).join(' ');
  }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll('.left[data-expires]').forEach(function (e) {
      var s = Math.max(0, Math.floor(+e.getAttribute('data-expires') - now));
      e.textContent = Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2)
        + ' left';
    });
  }
  function refresh() {
    fetch(location.href, {cache: 'no-store'}).then(function (r) {
      return r.text();
    }).then(function (t) {
      var d = new DOMParser().parseFromString(t, 'text/html');
      ['pending', 'recent'].forEach(function (k) {
        var o = document.getElementById(k), n = d.getElementById(k);
        if (o && n && ids(o) !== ids(n)) { o.innerHTML = n.innerHTML; }
      });
    }).catch(function () {}).then(function () {
      setTimeout(refresh, 2000);
    });
  }
  setInterval(tick, 1000);
  setTimeout(refresh, 2000);
})();
</script>
"""


def _details(a):
    rows = "".join('<tr><td class="l">%s</td><td>%s</td></tr>'
                   % (html.escape(d["label"]), html.escape(d["value"]))
                   for d in a["details"])
    return "<table>%s</table>" % rows if rows else ""


def _left(a):
    if a["expires"] is None:
        return "no expiry"
    s = int(a["expires"] - time.time())
    if s < 0:
        s = 0
    return "%d:%02d left" % (s // 60, s % 60)


def render(store, query):
    q = dict(parse_pairs(query))
    identity = q.get("identity") or None
    items = store.approval_list(identity=identity)
    pending = [a for a in items if a["status"] == "pending"]
    recent = [a for a in items if a["status"] != "pending"]
    recent.sort(key=lambda a: a["decided"] or a["expires"] or a["created"],
                reverse=True)
    recent = recent[:10]
    back = html.escape(identity or "", quote=True)
    cards = []
    for a in pending:
        cards.append(
            '<div class="card" data-id="%s">'
            '<div class="prov">%s &middot; %s</div>'
            '<div class="msg">%s</div>%s<div class="left"%s>%s</div>'
            '<form method="post" action="/phone/decide">'
            '<input type="hidden" name="id" value="%s">'
            '<input type="hidden" name="identity" value="%s">'
            '<button class="ok" name="status" value="approved">Approve</button>'
            '</form><form method="post" action="/phone/decide">'
            '<input type="hidden" name="id" value="%s">'
            '<input type="hidden" name="identity" value="%s">'
            '<button class="no" name="status" value="denied">Deny</button>'
            '</form></div>'
            % (html.escape(a["id"], quote=True),
               html.escape(a["provider"]), html.escape(a["identity"]),
               html.escape(a["message"]), _details(a),
               (' data-expires="%d"' % int(a["expires"]))
               if a["expires"] is not None else "", _left(a),
               html.escape(a["id"], quote=True), back,
               html.escape(a["id"], quote=True), back))
    rec = []
    for a in recent:
        rec.append('<div class="card" data-id="%s">'
                   '<div class="prov">%s &middot; %s</div>'
                   '<div class="msg">%s</div><div class="st-%s">%s</div></div>'
                   % (html.escape(a["id"], quote=True),
                      html.escape(a["provider"]), html.escape(a["identity"]),
                      html.escape(a["message"]), a["status"], a["status"]))
    filt = ('<form method="get" action="/phone"><input name="identity" '
            'value="%s" placeholder="identity"> <input type="submit" '
            'value="Show"></form>' % back)
    page = PAGE.format(
        title=(" &middot; " + html.escape(identity)) if identity else "",
        filter=filt,
        pending="".join(cards) or '<p class="empty">Nothing to approve.</p>',
        recent="".join(rec) or '<p class="empty">None yet.</p>',
        script=SCRIPT)
    return Response(200, page, "text/html; charset=utf-8",
                    {"Cache-Control": "no-store"})


def decide(store, body):
    q = dict(parse_pairs(body))
    ident = q.get("id", "")
    status = q.get("status", "")
    if status not in ("approved", "denied"):
        return Response(400, "status must be approved or denied\n",
                        "text/plain; charset=utf-8")
    code = store.decide(ident, status)
    loc = "/phone"
    if q.get("identity"):
        loc += "?" + urllib.parse.urlencode({"identity": q["identity"]})
    if code == 404:
        return Response(404, "unknown approval\n", "text/plain; charset=utf-8")
    # 200 or 409 (already decided or expired): back to the list either way
    return Response(303, "", "text/plain", {"Location": loc})


def handle(store, req):
    if req.path in ("/phone", "/phone/") and req.method in ("GET", "HEAD"):
        return render(store, req.query)
    if req.path == "/phone/decide" and req.method == "POST":
        return decide(store, req.body)
    return Response(404, "not found\n", "text/plain")
