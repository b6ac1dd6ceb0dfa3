"""The root filesystem's cache key, mount discovery and version reading: pure parts."""

from __future__ import annotations

from engine.sandbox import config, rootfs


def test_the_cache_key_follows_the_install_script_and_the_mirror(tmp_path):
    script = tmp_path / "install-asterisk.sh"
    script.write_text("apt-get install asterisk\n")
    a = config.install_script_digest("http://deb.debian.org/debian", script)
    assert a == config.install_script_digest("http://deb.debian.org/debian", script)
    assert len(a) == 64
    assert a != config.install_script_digest("http://mirror.example/debian", script)
    script.write_text("apt-get install asterisk asterisk-modules\n")
    assert a != config.install_script_digest("http://deb.debian.org/debian", script)


def test_is_current_needs_the_rootfs_and_a_matching_stamp(tmp_path):
    mirror = "http://deb.debian.org/debian"
    assert not rootfs.is_current(tmp_path, mirror)
    (tmp_path / "rootfs").mkdir()
    assert not rootfs.is_current(tmp_path, mirror)  # built but never stamped
    (tmp_path / "rootfs.stamp").write_text(config.install_script_digest(mirror))
    assert rootfs.is_current(tmp_path, mirror)
    (tmp_path / "rootfs.stamp").write_text("0" * 64)  # the script changed since
    assert not rootfs.is_current(tmp_path, mirror)


MOUNTINFO = """\
22 1 252:1 / / rw,relatime - ext4 /dev/vda rw
98 22 0:5 / /var/lib/tenure-sandbox/rootfs/dev rw - devtmpfs udev rw
99 22 0:21 / /var/lib/tenure-sandbox/rootfs/proc rw - proc proc rw
100 22 0:21 / /var/lib/tenure-sandbox/rootfs.new/proc rw - proc proc rw
101 22 0:30 / /srv/with\\040space/rootfs/proc rw - proc proc rw
"""


def test_mounts_under_a_root_and_only_that_root():
    found = rootfs.mounts_under("/var/lib/tenure-sandbox/rootfs", MOUNTINFO)
    assert sorted(found) == [
        "/var/lib/tenure-sandbox/rootfs/dev",
        "/var/lib/tenure-sandbox/rootfs/proc",
    ]
    assert rootfs.mounts_under("/srv/with space/rootfs", MOUNTINFO) == [
        "/srv/with space/rootfs/proc"
    ]
    assert rootfs.mounts_under("/var/lib/elsewhere", MOUNTINFO) == []


def test_asterisk_version_from_the_dpkg_database(tmp_path):
    status = tmp_path / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(
        "Package: asterisk-modules\nStatus: install ok installed\n"
        "Version: 1:22.10.1-1\n\n"
        "Package: asterisk\nStatus: install ok installed\n"
        "Version: 1:22.10.1+dfsg-1\n\n"
    )
    assert rootfs.asterisk_version(tmp_path) == "1:22.10.1+dfsg-1"
    assert rootfs.asterisk_version(tmp_path / "missing") is None
