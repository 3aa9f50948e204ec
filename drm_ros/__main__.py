import sys

from drm_ros.cli import main

sys.exit(main())
