"""`drm bench soak`: the node as its own process over real DDS on loopback, under load, churn,
faults, garbage and broken model files (issue 14). One file per phase; rig.py holds the node
process, the driver node talking to it, and the /proc readings."""
