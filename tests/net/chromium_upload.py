#!/usr/bin/env python3
"""Drives headless Chromium through the web update form, as a person would: open the page,
choose the file in the "firmware" input, click "Update Firmware", read the page that comes
back. Speaks the DevTools protocol over --remote-debugging-pipe (fds 3 and 4, messages ended
by NUL), so only the standard library is needed.

usage: chromium_upload.py URL FILE [USER:PASSWORD]
Prints the final page's text; exit 0 if it says "Update Success", 1 otherwise, 77 (skip) if
there is no chromium."""
import base64, json, os, shutil, subprocess, sys, tempfile, time

def main():
    url, path = sys.argv[1], os.path.abspath(sys.argv[2])
    creds = sys.argv[3] if len(sys.argv) > 3 else None
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("SKIP: no chromium (Debian package chromium)")
        return 77
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def fds():  # the child's fd 3 reads commands, fd 4 writes answers
        a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)  # above 4: no clash below
        a, b = os.dup2(a, 100), os.dup2(b, 101)
        os.dup2(a, 3)
        os.dup2(b, 4)

    profile = tempfile.mkdtemp(prefix="otasim-chromium-")
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", "--remote-debugging-pipe", "--user-data-dir=" + profile,
         "about:blank"],
        preexec_fn=fds, close_fds=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    buf = b""
    next_id = [0]
    events = []

    def read_msg(deadline):
        nonlocal buf
        while b"\0" not in buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(from_chrome_r, 65536)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            buf += chunk
        msg, buf = buf.split(b"\0", 1)
        return json.loads(msg)

    def call(method, params=None, session=None, timeout=30):
        next_id[0] += 1
        m = {"id": next_id[0], "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(to_chrome_w, json.dumps(m).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            r = read_msg(deadline)
            if r.get("id") == next_id[0]:
                if "error" in r:
                    raise RuntimeError(f"{method}: {r['error']}")
                return r.get("result", {})
            events.append(r)

    def wait_event(name, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(events):
                if e.get("method") == name:
                    del events[i]
                    return e
            events.append(read_msg(deadline))

    try:
        targets = call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        s = call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})[
            "sessionId"]
        call("Page.enable", session=s)
        if creds:
            call("Network.enable", session=s)
            auth = "Basic " + base64.b64encode(creds.encode()).decode()
            call("Network.setExtraHTTPHeaders", {"headers": {"Authorization": auth}}, session=s)
        call("Page.navigate", {"url": url}, session=s)
        wait_event("Page.loadEventFired")
        doc = call("DOM.getDocument", session=s)["root"]["nodeId"]
        node = call("DOM.querySelector", {"nodeId": doc, "selector": "input[name=firmware]"},
                    session=s)["nodeId"]
        if not node:
            print("FAIL: the page has no firmware input")
            return 1
        call("DOM.setFileInputFiles", {"files": [path], "nodeId": node}, session=s)
        call("Runtime.evaluate", {"expression":
             "document.querySelector('input[name=firmware]').form"
             ".querySelector('input[type=submit]').click()"}, session=s)
        wait_event("Page.loadEventFired", timeout=60)
        text = call("Runtime.evaluate", {"expression": "document.body.innerText",
                                         "returnByValue": True}, session=s)["result"]["value"]
        print(text)
        return 0 if "Update Success" in text else 1
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
