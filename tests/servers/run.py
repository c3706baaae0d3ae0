"""The registry of server tests. `run.py list` names them all (CMake registers one CTest test
each); `run.py NAME --shim SO --viewer BIN --bin DIR --examples DIR` runs one."""
import argparse
import functools
import sys
import time
import traceback

import apache
import dnsmasq
import faults  # noqa
import procs
import real
import render_nginx
import scale
import security
import vsftpd
from harness import Context, Failure

TESTS = {
    "nginx": real.nginx,
    "redis": real.redis,
    "redis_stack_split": real.redis_stack_split,
    "memcached_epoll": functools.partial(real.memcached, backend="epoll"),
    "memcached_poll": functools.partial(real.memcached, backend="poll"),
    "memcached_select": functools.partial(real.memcached, backend="select"),
    "python_selectors": functools.partial(real.python_echo, script="echo_selectors.py"),
    "python_asyncio": functools.partial(real.python_echo, script="echo_asyncio.py"),
    "sigkill_epoll_example": faults.sigkill_example,
    "sigkill_redis": faults.sigkill_redis,
    "sigkill_nginx": faults.sigkill_nginx,
    "full_disk": faults.full_disk,
    "full_disk_nginx": faults.full_disk_nginx,
    "readonly_dir": faults.readonly_dir,
    "daemon": procs.daemon,
    "daemon_raw_close": functools.partial(procs.daemon, raw=True),
    "prefork_reexec": procs.prefork,
    "vfork_spawn": procs.vfork_spawn,
    "dlopen": procs.dlopen,
    "connections_10000": scale.connections_10000,
    "threads_64": scale.threads_64,
    "signals_epoll_restart": functools.partial(scale.signals, mode="epoll", restart=True),
    "signals_epoll_norestart": functools.partial(scale.signals, mode="epoll", restart=False),
    "signals_recv_restart": functools.partial(scale.signals, mode="recv", restart=True),
    "signals_recv_norestart": functools.partial(scale.signals, mode="recv", restart=False),
    "symlink_refused": security.symlink_refused,
    "trace_mode_0600": security.trace_mode,
    "script_in_name": security.script_in_name,
    "dnsmasq_tcp": dnsmasq.dnsmasq_tcp,
    "vsftpd_seccomp": functools.partial(vsftpd.vsftpd, sandbox="YES"),
    "vsftpd_transfer": functools.partial(vsftpd.vsftpd, sandbox="NO"),
    "apache_worker": apache.apache_worker,
    "nginx_render": render_nginx.nginx_render,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="a test name, or 'list'")
    parser.add_argument("--shim")
    parser.add_argument("--viewer")
    parser.add_argument("--bin", help="directory of the helpers built from tests/servers")
    parser.add_argument("--examples", help="directory of the example servers and loadgen")
    args = parser.parse_args()
    if args.name == "list":
        print("\n".join(TESTS))
        return 0
    if args.name not in TESTS:
        print(f"FAIL: no test named {args.name}", file=sys.stderr)
        return 1
    started = time.monotonic()
    ctx = None
    try:
        ctx = Context(args)
        note = TESTS[args.name](ctx)
    except Failure as e:
        print(f"FAIL {args.name}: {e}")
        return 1
    except Exception:
        traceback.print_exc()
        print(f"FAIL {args.name}: the harness itself broke (see the traceback)")
        return 1
    finally:
        if ctx is not None:
            ctx.close()
    print(f"ok {args.name} ({time.monotonic() - started:.1f} s){': ' + note if note else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
