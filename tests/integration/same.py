"""Same-behaviour tests: a scenario prints every result; traced and untraced runs must print the same."""
import subprocess

from iotest import Failure, check, diff, trace_files

VARIANTS = {
    "preload": {},
    "split": {"IOTRACE_SPLIT": "1"},
    "stack": {"IOTRACE_STACK": "8"},
}


def same_behaviour(ctx, program, variant, args=()):
    argv = [ctx.program(program), *args]
    plain = ctx.run_plain(argv)
    check(plain.rc == 0, f"the scenario fails without the shim, fix it first:\n{plain.describe()}")
    check(plain.out.strip(), "the scenario printed nothing")
    out_dir = ctx.new_dir("out")
    traced = ctx.run_traced(argv, out_dir, VARIANTS[variant])
    problems = []
    if traced.rc != plain.rc:
        problems.append(f"exit status: untraced {plain.rc}, traced {traced.rc}")
    if traced.out != plain.out:
        problems.append("stdout differs:\n" + diff(plain.out, traced.out, "untraced", "traced"))
    if traced.err != plain.err:
        problems.append("stderr differs:\n" + diff(plain.err, traced.err, "untraced", "traced"))
    if problems:
        raise Failure(f"{program} under the shim ({variant}) behaves differently:\n"
                      + "\n".join(problems))
    # Identical output proves nothing if the shim never loaded: it must have written a trace.
    check(trace_files(out_dir), f"no trace file in {out_dir}: the shim did not trace {program}")


# The fortify twins really are what the fortified scenarios call, and not what the plain ones call.
FORTIFY_IMPORTS = {
    "sc_recv": ["__recv_chk", "__recvfrom_chk", "__read_chk"],
    "sc_poll": ["__poll_chk", "__ppoll_chk"],
    "sc_signals": ["__recv_chk", "__read_chk", "__recvfrom_chk"],
}


def undefined_symbols(path):
    done = subprocess.run(["nm", "-D", "--undefined-only", path], capture_output=True, text=True)
    check(done.returncode == 0, f"nm failed on {path}: {done.stderr}")
    return {line.split()[-1].split("@")[0] for line in done.stdout.splitlines() if line.strip()}


def fortify_imports(ctx, program):
    fortified = undefined_symbols(ctx.program(program + "_fortify"))
    plain = undefined_symbols(ctx.program(program))
    missing = [s for s in FORTIFY_IMPORTS[program] if s not in fortified]
    check(not missing, f"{program}_fortify does not import {missing}: the twins go untested")
    leaked = [s for s in FORTIFY_IMPORTS[program] if s in plain]
    check(not leaked, f"the plain {program} imports {leaked}: it should use the plain calls")
