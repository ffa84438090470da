"""Runs a command on a pseudo-terminal of a given size, as a person at a terminal would.

Usage: python3 pty-run.py ROWS COLUMNS COMMAND...

What the command writes to the terminal reaches our stdout byte for byte; what arrives on our stdin is typed
on the terminal. Once the command exits, one line on stderr reports the terminal's line mode
("pty: echo=1 icanon=1" when the command gave back a cooked terminal), and we exit with the command's code.
EOF on stdin, or SIGTERM, kills the command: a test that dies never leaves it running.
"""
import errno
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios

rows, columns = int(sys.argv[1]), int(sys.argv[2])
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def controlling_terminal():
    # A session of its own with the pty as its terminal, like a login shell's child.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


child = subprocess.Popen(sys.argv[3:], stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal)
signal.signal(signal.SIGTERM, lambda *_: child.kill())
out = sys.stdout.buffer
inputs = [master, sys.stdin.fileno()]


def pump(timeout):
    ready, _, _ = select.select(inputs, [], [], timeout)
    for fd in ready:
        if fd == master:
            try:
                data = os.read(master, 65536)
            except OSError as err:
                if err.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                inputs.remove(master)
            else:
                out.write(data)
                out.flush()
        else:
            keys = os.read(fd, 1024)
            if not keys:
                inputs.remove(fd)
                child.kill()
            else:
                os.write(master, keys)


while child.poll() is None:
    pump(0.05)
# What the command wrote just before it exited is still in the pty: read it all.
inputs = [master]
while master in inputs and select.select([master], [], [], 0.2)[0]:
    pump(0)
attrs = termios.tcgetattr(slave)
lflag = attrs[3]
sys.stderr.write(f"pty: echo={int(bool(lflag & termios.ECHO))} icanon={int(bool(lflag & termios.ICANON))}\n")
code = child.returncode
sys.exit(code if code >= 0 else 128 - code)
