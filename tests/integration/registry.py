"""The one list of integration tests: CTest registers each name; `registry.py NAME ...` runs one."""
import argparse
import sys
import traceback

import blocked
import counts
import lifecycle
import robust_process
import robust_messages
import robust_sites
import robust_symbols
import robust_writer
import robust_fds
import same
import servers
from iotest import Context, Failure

FAMILIES = ["sc_recv", "sc_select", "sc_poll", "sc_epoll", "sc_accept", "sc_signals"]

TESTS = {}

# A. Same behaviour, each family plain and fortified, under each shim setting.
for family in FAMILIES:
    for build in (family, family + "_fortify"):
        for variant in same.VARIANTS:
            TESTS[f"same.{build[3:]}.{variant}"] = (
                lambda ctx, b=build, v=variant: same.same_behaviour(ctx, b, v))
TESTS["same.fd_numbers"] = lambda ctx: same.same_behaviour(ctx, "sc_fds", "preload")
for family in same.FORTIFY_IMPORTS:
    TESTS[f"fortify_imports.{family[3:]}"] = lambda ctx, f=family: same.fortify_imports(ctx, f)

# B. Recorded counts.
for build in ("sc_recv", "sc_recv_fortify"):
    TESTS[f"counts.{build[3:]}"] = lambda ctx, b=build: counts.recv_family(ctx, b)
for build in ("sc_select", "sc_select_fortify"):
    TESTS[f"counts.{build[3:]}.nfds10"] = lambda ctx, b=build: counts.select_family(ctx, b, 10)
    TESTS[f"counts.{build[3:]}.nfds1500"] = lambda ctx, b=build: counts.select_family(ctx, b, 1500)
for build in ("sc_poll", "sc_poll_fortify"):
    TESTS[f"counts.{build[3:]}"] = lambda ctx, b=build: counts.poll_family(ctx, b)
TESTS["counts.epoll"] = lambda ctx: counts.epoll_family(ctx, "sc_epoll")
TESTS["counts.epoll_interest_after_close"] = counts.epoll_interest_after_close
TESTS["counts.accept"] = lambda ctx: counts.accept_family(ctx, "sc_accept")
TESTS["counts.header"] = counts.header

# C. Blocked detection.
TESTS["blocked.waits"] = blocked.waits
TESTS["blocked.data_ready"] = blocked.data_ready
TESTS["blocked.eagain"] = blocked.eagain
TESTS["blocked.split_phases"] = blocked.split_phases
TESTS["blocked.long_split_read"] = blocked.long_split_read

# D. Process lifecycle and hostile output directories.
TESTS["life.fork"] = lifecycle.fork
TESTS["life.exec"] = lambda ctx: lifecycle.exec_self(ctx, strip_env=False)
TESTS["life.exec_without_preload_env"] = lambda ctx: lifecycle.exec_self(ctx, strip_env=True)
TESTS["life.exec_log_without_env"] = lifecycle.exec_log
TESTS["life.boot_id"] = lifecycle.boot_id
TESTS["life.threads"] = lifecycle.threads
TESTS["life.vfork_exec"] = lambda ctx: lifecycle.spawn(ctx, "vfork")
TESTS["life.posix_spawn"] = lambda ctx: lifecycle.spawn(ctx, "posix_spawn")
TESTS["life.closed_fds"] = lifecycle.closed_fds
TESTS["life.sigkill"] = lifecycle.sigkill
TESTS["life.full_disk"] = lifecycle.full_disk
TESTS["life.max_size"] = lifecycle.max_size
TESTS["life.read_only_dir"] = lifecycle.read_only_dir
TESTS["life.symlink"] = lambda ctx: lifecycle.symlink(ctx, dangling=False)
TESTS["life.symlink_dangling"] = lambda ctx: lifecycle.symlink(ctx, dangling=True)

# R. Robustness: the traced program behaves as untraced.
for how in ("glibc", "raw", "newpid", "raw-chroot"):
    TESTS[f"robust.clone_child.{how}"] = lambda ctx, h=how: robust_process.clone_child(ctx, h)
TESTS["robust.vfork_two_threads"] = lambda ctx: robust_process.vfork_child(ctx, [])
TESTS["robust.vfork_child_exit"] = lambda ctx: robust_process.vfork_child(ctx, ["exit"])
TESTS["robust.exec_bad_envp"] = robust_process.exec_bad_envp
TESTS["robust.exec_small_stack"] = robust_process.exec_small_stack
for how in ("fork", "clone"):
    TESTS[f"robust.sandboxed_child.{how}"] = (
        lambda ctx, h=how: robust_process.sandboxed_child(ctx, h))
# R. Robustness (issue 10): the shim's messages and call sites in hostile conditions.
TESTS["robust.messages_stderr_socket"] = robust_messages.stderr_socket
TESTS["robust.messages_log_file"] = robust_messages.log_file
TESTS["robust.messages_log_hostile"] = robust_messages.log_hostile
TESTS["robust.messages_terminal"] = robust_messages.terminal
TESTS["robust.messages_notes"] = robust_messages.notes
TESTS["robust.sites_many_mappings"] = robust_sites.many_mappings
TESTS["robust.sites_rebuilt"] = robust_symbols.rebuilt
TESTS["robust.sites_debug_build_id"] = lambda ctx: robust_symbols.debug_file(ctx, "build-id")
TESTS["robust.sites_debuglink"] = lambda ctx: robust_symbols.debug_file(ctx, "debuglink")
# R. Robustness of the trace file's writer (issue 10).
for how in ("prctl", "syscall"):
    TESTS[f"robust.seccomp_{how}"] = lambda ctx, h=how: robust_writer.seccomp(ctx, h, 20000)
    TESTS[f"robust.seccomp_{how}_past_reserve"] = (
        lambda ctx, h=how: robust_writer.seccomp_past_reserve(ctx, h))
TESTS["robust.rlimit_as_at_start"] = lambda ctx: robust_writer.address_space(ctx, "start")
TESTS["robust.rlimit_as_lowered"] = lambda ctx: robust_writer.address_space(ctx, "lower")
TESTS["robust.ownfd_dup2_no_fd_free"] = lambda ctx: robust_writer.ownfd(ctx, "dup2")
TESTS["robust.ownfd_raw_close_reuse"] = lambda ctx: robust_writer.ownfd(ctx, "raw")
TESTS["robust.ownfd_raw_close_then_close"] = robust_writer.ownfd_raw_close
TESTS["robust.workers_exit"] = lambda ctx: robust_writer.workers(ctx, "fork-exit")
TESTS["robust.workers_killed"] = lambda ctx: robust_writer.workers(ctx, "fork-kill")
TESTS["robust.exec_chain"] = robust_writer.exec_chain
TESTS["robust.vfork_child_exit_leaves_file"] = robust_writer.vfork_exit
for kind in ("fifo", "directory", "device"):
    TESTS[f"robust.trace_path_{kind}"] = lambda ctx, k=kind: robust_writer.hostile_path(ctx, k)
TESTS["robust.setuid"] = robust_writer.secure
TESTS["robust.low_nofile"] = robust_writer.low_nofile
TESTS["robust.cut_while_running"] = robust_writer.cut_while_running
TESTS["robust.threads_windows"] = robust_writer.threads_windows
TESTS["robust.thread_churn"] = robust_writer.thread_churn
TESTS["robust.sigkill_windows"] = robust_writer.sigkill_windows
for how in ("fault", "raise", "handler"):
    TESTS[f"robust.own_sigbus_{how}"] = lambda ctx, h=how: robust_writer.own_sigbus(ctx, h)
# R. Robustness: the fd table, the recording guard and signals.
TESTS["robust.fork_threads"] = robust_fds.fork_threads
TESTS["robust.longjmp_out"] = robust_fds.longjmp_out
TESTS["robust.signal_storm"] = lambda ctx: robust_fds.signal_storm(ctx, "preload")
TESTS["robust.signal_storm.stack"] = lambda ctx: robust_fds.signal_storm(ctx, "stack")
TESTS["robust.raw_clone_tls"] = robust_fds.raw_clone_tls
TESTS["robust.stale_fd.preload"] = lambda ctx: robust_fds.stale_fd(ctx, "preload")
TESTS["robust.stale_fd.split"] = lambda ctx: robust_fds.stale_fd(ctx, "split")
TESTS["robust.epoll_shared"] = robust_fds.epoll_shared

# F. python3 from Debian as the traced program.
TESTS["python.select_server"] = servers.select_server
TESTS["python.epoll_server"] = servers.epoll_server


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--shim")
    parser.add_argument("--viewer")
    parser.add_argument("--bin")
    args = parser.parse_args()
    if args.list:
        print("\n".join(TESTS))
        return 0
    if args.name not in TESTS or not (args.shim and args.viewer and args.bin):
        parser.error("give a test name from --list, --shim, --viewer and --bin")
    ctx = Context(args.shim, args.viewer, args.bin)
    try:
        TESTS[args.name](ctx)
    except Failure as e:
        print(f"FAIL {args.name}: {e}")
        return 1
    except Exception:
        traceback.print_exc()
        print(f"FAIL {args.name}: the harness raised")
        return 1
    finally:
        ctx.close()
    print(f"PASS {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
