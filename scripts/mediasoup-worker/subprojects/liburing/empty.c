/* Intentionally empty: mediasoup links this stand-in with link_whole; the real code is the system library. */
