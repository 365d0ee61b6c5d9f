# SPDX-License-Identifier: Apache-2.0
"""Black-box test harness: runs the real `roentgen serve` binary and talks to it.

Stdlib only (the Debian interpreter runs it too). A test file does

    import harness
    class MyTest(harness.ServerTestCase): ...
    if __name__ == "__main__":
        harness.main()

and is run as `python3 test_x.py [--binary PATH] [--shared DIR] [unittest args]`.
Exit codes: 0 pass, 1 fail, 77 skip (a client the test needs is missing; the reason is
printed as "SKIP: ..."), which ctest maps through SKIP_RETURN_CODE.

Where things come from, first match wins:
  binary: --binary, $ROENTGEN_BINARY, the newer of <repo>/build/{dev,clients}/roentgen
  shared: --shared, $RG_SHARED_DIR, <repo>/../shared
"""

import atexit
import ctypes
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SKIP_EXIT = 77

# Filled in by main() (or by configure() for callers that do not use main()).
BINARY = None
SHARED = None

DUMMY_ACCESS_KEY = "AKIDEXAMPLE"
DUMMY_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DAEMON_HEADER = b'{"format":"json","version":1}'


class Skip(Exception):
    """A client the test needs is missing: the test file exits 77."""


def skip(reason):
    raise Skip(reason)

def pick_client(argv):
    """Takes `--client cli-v1|cli-v2|boto3|node` out of argv and returns it; exits 77 (skip)
    when that client is not installed here. The multi-client tests register one ctest per
    client with it."""
    if "--client" not in argv:
        skip("no --client given")
    i = argv.index("--client")
    client = argv[i + 1]
    del argv[i:i + 2]
    if client == "cli-v1":
        path = shutil.which("aws")
        if not path:
            skip("aws CLI v1 (first `aws` on PATH) not installed")
        version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 env=client_env())
        text = version.stdout + version.stderr
        if not text.startswith("aws-cli/1."):
            skip("`aws` on PATH is %r, not CLI v1" % text.strip())
    elif client == "cli-v2":
        if not os.access("/usr/bin/aws", os.X_OK):
            skip("/usr/bin/aws (CLI v2) not installed")
    elif client == "boto3":
        try:
            import boto3  # noqa: F401
        except ImportError:
            skip("boto3 not installed for %s" % sys.executable)
    elif client == "node":
        if not shutil.which("node"):
            skip("node not installed")
        if not os.path.isdir(os.path.join(HERE, "node_modules", "@aws-sdk", "client-xray")):
            skip("@aws-sdk/client-xray not installed (run tools/install_clients.sh)")
    else:
        raise SystemExit("unknown --client %s" % client)
    return client


def configure(argv):
    """Strips --binary/--shared from argv (returned without them) and sets BINARY/SHARED."""
    global BINARY, SHARED
    rest = []
    binary = os.environ.get("ROENTGEN_BINARY")
    shared = os.environ.get("RG_SHARED_DIR")
    it = iter(argv)
    for arg in it:
        if arg == "--binary":
            binary = next(it)
        elif arg.startswith("--binary="):
            binary = arg.split("=", 1)[1]
        elif arg == "--shared":
            shared = next(it)
        elif arg.startswith("--shared="):
            shared = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if not binary:
        found = [os.path.join(REPO, c) for c in ("build/dev/roentgen", "build/clients/roentgen")]
        found = [p for p in found if os.path.exists(p)]
        if found:
            binary = max(found, key=os.path.getmtime)  # the newest build
    if not shared:
        shared = os.path.normpath(os.path.join(REPO, "..", "shared"))
    BINARY, SHARED = binary, shared
    return rest


def main(extra_checks=None):
    """Runs the unittest cases of __main__ and exits 0/1/77."""
    argv = configure(sys.argv[1:])
    try:
        if not BINARY or not os.access(BINARY, os.X_OK):
            # Not a missing client: a missing server is a failure.
            print("FAIL: roentgen binary not found (pass --binary or set ROENTGEN_BINARY)")
            sys.exit(1)
        if extra_checks is not None:
            extra_checks(argv)
    except Skip as e:
        print("SKIP: %s" % e)
        sys.stdout.flush()
        sys.exit(SKIP_EXIT)
    program = unittest.main(module="__main__", argv=[sys.argv[0]] + argv, exit=False,
                            verbosity=2)
    result = program.result
    if result.wasSuccessful():
        ran = result.testsRun - len(result.skipped)
        if result.testsRun > 0 and ran == 0:
            sys.exit(SKIP_EXIT)
        sys.exit(0)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# The server process.

_LIVE_SERVERS = set()


def _cleanup_all():
    for server in list(_LIVE_SERVERS):
        server.cleanup()


def _terminated(signum, frame):
    # ctest's timeout (or ^C) ends the test: exit through atexit so no server is left behind.
    sys.exit(128 + signum)


atexit.register(_cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        signal.signal(_sig, _terminated)
    except (ValueError, OSError):  # not the main thread
        pass


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the test process dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    """One `roentgen serve` process on 127.0.0.1 port 0 (HTTP and UDP on the same number).

    The data dir is a fresh temp dir unless given (then it is reused, e.g. after a crash, and
    not deleted). stderr goes to a log file that `log_tail()` reads. Use as a context manager,
    or call start()/stop(); cleanup() kills a still-running process and removes temp dirs.
    """

    def __init__(self, data_dir=None, args=(), binary=None, listen="127.0.0.1:0"):
        self.binary = binary or BINARY
        self._own_dir = None
        if data_dir is None:
            self._own_dir = tempfile.mkdtemp(prefix="roentgen-test-")
            data_dir = os.path.join(self._own_dir, "data")
        self.data_dir = data_dir
        self.args = list(args)
        self.listen = listen
        self.proc = None
        self.port = None
        self.http_addr = None
        self.udp_addr = None
        self.listening_line = None
        self._log_dir = tempfile.mkdtemp(prefix="roentgen-log-")
        self.log_path = os.path.join(self._log_dir, "stderr.log")
        self._log = None
        self._drainer = None
        self._stdout_rest = []

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, timeout=30):
        cmd = [self.binary, "serve", "--data-dir", self.data_dir, "--listen", self.listen]
        cmd += self.args
        self._log = open(self.log_path, "ab")
        # PR_SET_PDEATHSIG follows the forking thread: only the main thread may fork servers.
        on_main = threading.current_thread() is threading.main_thread()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log,
                                     preexec_fn=_die_with_parent if on_main else None)
        _LIVE_SERVERS.add(self)
        line = self._read_line(timeout)
        if not line:
            code = self.proc.poll()
            self.kill()
            raise AssertionError("roentgen did not print its listening line (exit %r); "
                                 "command %s\nstderr:\n%s" % (code, cmd, self.log_tail()))
        self.listening_line = line
        fields = dict(part.split("=", 1) for part in line.split()[2:] if "=" in part)
        if not line.startswith("roentgen: listening ") or "http" not in fields:
            self.kill()
            raise AssertionError("unexpected listening line %r" % line)
        http_host, http_port = fields["http"].rsplit(":", 1)
        udp_host, udp_port = fields["udp"].rsplit(":", 1)
        self.http_addr = (http_host, int(http_port))
        self.udp_addr = (udp_host, int(udp_port))
        self.port = int(http_port)
        if not any(a.startswith(("--udp-listen", "--http-listen")) for a in self.args):
            # Port 0 picks one free port for both (the listening-line contract).
            if self.http_addr[1] != self.udp_addr[1]:
                self.kill()
                raise AssertionError("HTTP and UDP ports differ: %r" % line)
        self._drainer = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drainer.start()
        return self

    def _read_line(self, timeout):
        box = []

        def reader():
            box.append(self.proc.stdout.readline())

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        if not box:
            return None
        return box[0].decode("utf-8", "replace").rstrip("\n")

    def _drain_stdout(self):
        try:
            for line in self.proc.stdout:
                self._stdout_rest.append(line)
        except (OSError, ValueError):
            pass

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits; returns the exit code (negative = killed by a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("roentgen did not exit within %ss of signal %s\n%s" %
                                     (timeout, sig, self.log_tail()))
        code = self.proc.returncode
        self._close_log()
        return code

    def kill(self):
        """SIGKILL (kill -9); returns the exit code."""
        return self.stop(signal.SIGKILL)

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.proc is not None and self.proc.poll() is not None and self.proc.stdout:
            drainer = getattr(self, "_drainer", None)
            if drainer is not None:
                drainer.join(5)
            self.proc.stdout.close()

    def cleanup(self):
        _LIVE_SERVERS.discard(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
        shutil.rmtree(self._log_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def log_tail(self, limit=6000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError:
            return "(no log)"
        return data[-limit:].decode("utf-8", "replace")

    @property
    def endpoint(self):
        return "http://%s:%d" % self.http_addr

    # -- HTTP ---------------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=30):
        """One HTTP request; returns (status, headers dict with lowercase names, body bytes)."""
        conn = http.client.HTTPConnection(self.http_addr[0], self.http_addr[1], timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=dict(headers or {}))
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def post_json(self, path, obj, headers=None):
        """POST a JSON body; returns (status, headers, parsed JSON or None)."""
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        status, hdrs, data = self.request("POST", path, json.dumps(obj), h)
        return status, hdrs, _maybe_json(data)

    def put_trace_segments(self, documents):
        """PutTraceSegments over raw HTTP. `documents`: dicts (serialized here) or strings
        (sent as is). Returns (status, parsed response)."""
        docs = [d if isinstance(d, str) else json.dumps(d) for d in documents]
        status, _, body = self.post_json("/TraceSegments", {"TraceSegmentDocuments": docs})
        return status, body

    def put_ok(self, documents):
        """PutTraceSegments that must be fully accepted."""
        status, body = self.put_trace_segments(documents)
        if status != 200 or body.get("UnprocessedTraceSegments"):
            raise AssertionError("PutTraceSegments: %s %s" % (status, body))
        return body

    def batch_get_traces(self, trace_ids):
        """BatchGetTraces; returns the parsed 200 response (raises on another status)."""
        status, _, body = self.post_json("/Traces", {"TraceIds": list(trace_ids)})
        if status != 200:
            raise AssertionError("BatchGetTraces %s: %s %s" % (trace_ids, status, body))
        return body

    def get_documents(self, trace_ids):
        """{trace_id: [parsed top-level documents]} for the traces found (any number of
        ids; queried 5 at a time)."""
        out = {}
        ids = list(trace_ids)
        for i in range(0, len(ids), 5):
            body = self.batch_get_traces(ids[i:i + 5])
            for trace in body.get("Traces", []):
                out[trace["Id"]] = [json.loads(s["Document"]) for s in trace["Segments"]]
        return out

    def wait_for_documents(self, trace_ids, predicate, timeout=10.0, interval=0.05):
        """Polls BatchGetTraces until predicate({trace_id: [docs]}) is true; returns the last
        answer (the caller asserts on it)."""
        deadline = time.monotonic() + timeout
        while True:
            docs = self.get_documents(trace_ids)
            if predicate(docs) or time.monotonic() > deadline:
                return docs
            time.sleep(interval)

    def healthz(self):
        return self.request("GET", "/healthz")[0]

    def metrics(self):
        """GET /metrics parsed into {series: value}; series is `name` or `name{labels}` as
        printed (e.g. 'roentgen_udp_dropped_total{reason="no_newline"}')."""
        status, _, data = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError("/metrics answered %s" % status)
        return parse_metrics(data.decode("utf-8"))

    # -- raw sockets --------------------------------------------------------------------------
    def send_raw_http(self, raw, timeout=30):
        """Sends raw request bytes over a new TCP connection and reads one response:
        returns (status, headers dict lowercase, body bytes)."""
        with socket.create_connection(self.http_addr, timeout=timeout) as sock:
            sock.sendall(raw)
            return read_http_response(sock)

    def send_udp(self, payload, header=DAEMON_HEADER):
        """Sends one datagram: header + '\\n' + document (header=None sends payload as is).
        payload may be a dict, str or bytes."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        data = payload if header is None else header + b"\n" + payload
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(data, self.udp_addr)
        return len(data)


def _maybe_json(data):
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (ValueError, UnicodeDecodeError):
        return None


def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # The value is the last field (no timestamps are printed); label values may hold spaces.
        if "}" in line:
            end = line.rindex("}")
            series, rest = line[:end + 1], line[end + 1:].split()
        else:
            parts = line.split()
            series, rest = parts[0], parts[1:]
        if not rest:
            continue
        try:
            out[series] = float(rest[0])
        except ValueError:
            continue
    return out


def metric_sum(metrics, name):
    """Sum of every series of metric `name`."""
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


def read_http_response(sock):
    """Reads one HTTP/1.1 response (Content-Length, chunked, or until close)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed before the response head: %r" % buf)
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()

    def read_more():
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside the response body")
        return chunk

    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            rest += read_more()
        return status, headers, rest[:n]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += read_more()
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += read_more()
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return status, headers, rest
        rest += chunk


# ---------------------------------------------------------------------------------------------
# Documents and trace assembly expectations.


def new_trace_id(rng=random, epoch=None):
    epoch = int(time.time()) if epoch is None else epoch
    return "1-%08x-%024x" % (epoch, rng.getrandbits(96))


def new_id(rng=random):
    return "%016x" % rng.getrandbits(64)


def segment(trace_id=None, name="svc", rng=random, **fields):
    now = time.time()
    doc = {"trace_id": trace_id or new_trace_id(rng), "id": new_id(rng), "name": name,
           "start_time": round(now - 0.25, 6), "end_time": round(now, 6)}
    doc.update(fields)
    return doc


def _walk(entity):
    yield entity
    for child in entity.get("subsegments") or []:
        yield from _walk(child)


def expected_traces(documents):
    """Applies xray-semantics.md §0.1 to parsed documents (in arrival order): one document per
    (trace_id, id) with complete beating in-progress and the last complete one winning;
    independent subsegments (`"type": "subsegment"`) are appended, verbatim, to the
    `subsegments` of the entity whose id is their parent_id (orphans stay top-level).
    Returns ({trace_id: [top-level docs]}, set of ids that were nested)."""
    by_trace = {}
    for doc in documents:
        docs = by_trace.setdefault(doc["trace_id"], {})
        old = docs.get(doc["id"])
        if old is not None and not old.get("in_progress") and doc.get("in_progress"):
            continue
        docs.pop(doc["id"], None)
        docs[doc["id"]] = json.loads(json.dumps(doc))
    result, nested_ids = {}, set()
    for trace_id, docs in by_trace.items():
        independents = [d for d in docs.values() if d.get("type") == "subsegment"]
        top = [d for d in docs.values() if d.get("type") != "subsegment"]
        # Resolve parents against everything (segments and independents).
        pending = list(independents)
        placed = True
        while pending and placed:
            placed = False
            for doc in list(pending):
                parent = None
                for root in top:
                    for entity in _walk(root):
                        if entity.get("id") == doc.get("parent_id") and entity is not doc:
                            parent = entity
                            break
                    if parent is not None:
                        break
                if parent is not None:
                    parent.setdefault("subsegments", []).append(doc)
                    nested_ids.add(doc["id"])
                    pending.remove(doc)
                    placed = True
        top.extend(pending)  # orphans
        result[trace_id] = top
    return result, nested_ids


def canonical(doc, nested_ids=frozenset()):
    """A comparable form: subsegments that were nested by the server (ids in nested_ids) may
    come in any order after the embedded ones, so they are sorted by id; embedded ones keep
    their order."""
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            if k == "subsegments" and isinstance(v, list):
                embedded = [canonical(c, nested_ids) for c in v
                            if not (isinstance(c, dict) and c.get("id") in nested_ids)]
                nested = [canonical(c, nested_ids) for c in v
                          if isinstance(c, dict) and c.get("id") in nested_ids]
                nested.sort(key=lambda c: json.dumps(c, sort_keys=True))
                out[k] = embedded + nested
            else:
                out[k] = canonical(v, nested_ids)
        return out
    if isinstance(doc, list):
        return [canonical(v, nested_ids) for v in doc]
    return doc


def non_inferred(docs):
    """Server-made inferred segments (`"inferred": true`) are allowed extras."""
    return [d for d in docs if not d.get("inferred")]


class ServerTestCase(unittest.TestCase):
    """A test case with helpers to start servers that are always cleaned up."""

    maxDiff = None

    def start_server(self, **kwargs):
        server = Server(**kwargs)
        self.addCleanup(server.cleanup)
        self.addCleanup(self._dump_log_on_failure, server)
        server.start()
        return server

    def _dump_log_on_failure(self, server):
        outcome = getattr(self, "_outcome", None)
        if outcome is not None and not getattr(outcome, "success", True):
            sys.stderr.write("---- roentgen stderr (tail) ----\n%s\n" % server.log_tail())

    def assertTracesEqual(self, expected, actual, nested_ids=frozenset(), msg=None):
        """expected/actual: {trace_id: [docs]}. Compares the non-inferred documents of every
        expected trace as parsed JSON, order of top-level documents ignored."""
        for trace_id, exp_docs in expected.items():
            self.assertIn(trace_id, actual, "trace %s missing%s" % (trace_id,
                                                                  ": " + msg if msg else ""))
            key = lambda d: (d.get("id", ""), json.dumps(d, sort_keys=True))
            exp = sorted((canonical(d, nested_ids) for d in exp_docs), key=key)
            got = sorted((canonical(d, nested_ids) for d in non_inferred(actual[trace_id])),
                         key=key)
            self.assertEqual(exp, got, "trace %s differs%s" % (trace_id,
                                                               ": " + msg if msg else ""))


def gzip_bytes(data):
    return gzip.compress(data)


def boto3_client(service, endpoint):
    """A boto3 client of `service` ("xray", "cloudwatch") for `endpoint`: dummy credentials,
    us-east-1, one attempt (a retried request would hide the first answer)."""
    import boto3
    import botocore.config
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}))


def snake_case(operation):
    """An API operation's boto3 method name: "GetInsightSummaries" -> "get_insight_summaries"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


class ClientError(Exception):
    """An API error as a client reported it: its error code and message."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


def boto3_call(client, operation, params):
    """Calls `operation` (PascalCase) with `params` on a boto3 client; returns the response
    without ResponseMetadata, or raises ClientError with the error code and message."""
    import botocore.exceptions
    try:
        response = getattr(client, snake_case(operation))(**params)
    except botocore.exceptions.ClientError as error:
        raise ClientError(error.response["Error"]["Code"], error.response["Error"]["Message"])
    response.pop("ResponseMetadata", None)
    return response


def run_node(script, *args, timeout=120):
    """Runs `node -e script args...` with tests/clients/node_modules and the dummy client
    environment; returns its standard output parsed as JSON. A failing node is an
    AssertionError with its standard error."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["node", "-e", script, *args], capture_output=True, text=True, cwd=here,
                         env=client_env({"NODE_PATH": os.path.join(here, "node_modules")}),
                         timeout=timeout)
    if out.returncode != 0:
        raise AssertionError("node failed: " + out.stderr)
    return json.loads(out.stdout)


def client_env(extra=None):
    """Environment for AWS clients: dummy credentials, no config files, region us-east-1."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("AWS_"):
            del env[key]
    env.update({
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "TZ": "UTC",
    })
    env.update(extra or {})
    return env

