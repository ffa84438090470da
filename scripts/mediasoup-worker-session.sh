#!/bin/sh
# Runs a mediasoup worker in a session of its own. A Ctrl-C in a terminal, or a SIGTERM sent to the node's whole
# process group (systemd's default), then reaches only the node, which drains; the worker would otherwise close
# itself at once and take every room on it down. The worker still exits when its node dies (its channel closes).
exec setsid "$LKC_MEDIASOUP_WORKER_BIN" "$@"
