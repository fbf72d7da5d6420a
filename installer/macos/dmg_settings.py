"""dmgbuild settings for ClinicDesk's disk image: the app beside a link to /Applications.

dmgbuild executes this file with `defines` holding the -D values that installer/build.py
passes: `app`, the path of ClinicDesk.app, and `icon`, the .icns file for the volume.
"""

import os.path

application = defines["app"]  # noqa: F821 (dmgbuild provides `defines`)
app_name = os.path.basename(application)

# Compressed and read-only, as disk images for download usually are.
format = "UDZO"  # noqa: A001 (dmgbuild reads this name)
size = None
files = [application]
symlinks = {"Applications": "/Applications"}
icon = defines["icon"]  # noqa: F821

# The window shows the app on the left and Applications on the right, so installing is
# one drag.
window_rect = ((200, 200), (640, 320))
default_view = "icon-view"
show_status_bar = False
show_toolbar = False
show_pathbar = False
icon_size = 128
icon_locations = {app_name: (160, 140), "Applications": (480, 140)}
