"""``kill -USR1`` on a sigma command prints where every thread waits, and the command goes on."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_sigusr1_prints_every_threads_stack_and_the_command_goes_on() -> None:
    program = textwrap.dedent("""
        import os, signal, sys
        from runtime import interrupt
        interrupt.stacks_on_sigusr1()
        def waiting_here():
            os.kill(os.getpid(), signal.SIGUSR1)
        waiting_here()
        print("went on")
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "went on"
    assert "waiting_here" in done.stderr and "Current thread" in done.stderr
