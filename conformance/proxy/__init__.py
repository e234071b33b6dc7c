"""``supersim-conformance proxy``: a validating proxy in front of any Sim API.

Real traffic (an application, a client library, a test) goes through the proxy to the
upstream (live Twilio, the reference mock, anyone's mock). Each exchange passes through the
suite's own response checks and the reference mock's request rules, and through rules that
follow what two answers can prove (page chains, a Sim's life, routed callbacks). Each violation
names the check and requirement the suite would name, and which side broke it: the client's
request or the server's answer.

Layout (one job per module): ``requests`` (the client's side of one request), ``observer`` (the
cross-request rules), ``callbacks`` (routing and judging callbacks), ``journal`` (the pipeline
and the verdicts), ``recording`` (redacted cassettes and their re-judging), ``session`` (reports
at the end), ``app`` (the ASGI forwarding app), ``server`` (threads, the foreground command).
"""

from __future__ import annotations

from conformance.proxy.server import ProxyOptions, RunningProxy, UpstreamUnreachable, serve_proxy, start_proxy

__all__ = ["ProxyOptions", "RunningProxy", "UpstreamUnreachable", "serve_proxy", "start_proxy"]
