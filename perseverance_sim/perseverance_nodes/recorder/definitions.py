# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Message definitions as rosbag2 stores them in an MCAP schema (encoding ``ros2msg``).

rosbag2 (Jazzy, rosbag2_cpp's local message definition source) gives each schema the type's
.msg file as installed (comments included), followed, for each type it depends on, by a line of
80 '=', a line ``MSG: pkg/Type`` and that type's .msg text, depth first, every type once. The
dependencies of a file are the first word of each field line (array and bound suffixes cut),
builtin types left out, a name without a package taken from the file's own package (``Header``
inside std_msgs), and they are visited in sorted order. Readers (mcap_ros2, rosbags, Foxglove)
decode the messages from this text alone, so it is built here the same way.

The .msg files are found in the ament index: the prefixes of AMENT_PREFIX_PATH (a sourced ROS
workspace), then this interpreter's prefix (the venv of scripts/setup.sh, where the ros-jazzy
wheels and the colcon build of perseverance_interfaces install share/<package>/msg/). The type
hash (RIHS01_...) comes from the type description (.json) rosidl installs beside each .msg.
"""

import json
import os
import sys

# Field types of the .msg language that are not messages (no definition to append).
BUILTIN_TYPES = frozenset((
    'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32',
    'uint32', 'int64', 'uint64', 'string', 'wstring'))
DELIMITER = '=' * 80


class DefinitionError(LookupError):
    """A message type whose definition cannot be found or read."""


def split_type_name(type_name):
    """
    Return (package, message) of ``pkg/msg/Type`` or ``pkg/Type``.

    Raises DefinitionError for anything else (a service, an empty part, more levels).
    """
    parts = type_name.split('/')
    if len(parts) == 3 and parts[1] == 'msg':
        parts = [parts[0], parts[2]]
    if len(parts) != 2 or not all(part and part.replace('_', '').isalnum() for part in parts):
        raise DefinitionError(
            'message type {!r} is not of the form pkg/msg/Type or pkg/Type'.format(type_name))
    return parts[0], parts[1]


def ament_prefixes(environ=None):
    """Return the install prefixes to look in: AMENT_PREFIX_PATH's, then sys.prefix."""
    environ = os.environ if environ is None else environ
    prefixes = [p for p in environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if p]
    if sys.prefix not in prefixes:
        prefixes.append(sys.prefix)
    return prefixes


def package_share(package, prefixes):
    """Return ``package``'s share directory: the first prefix that registers it, or None."""
    for prefix in prefixes:
        marker = os.path.join(prefix, 'share', 'ament_index', 'resource_index', 'packages',
                              package)
        if os.path.exists(marker):
            return os.path.join(prefix, 'share', package)
    return None


def field_dependencies(text, package):
    """
    Return the message types the .msg ``text`` (of ``package``) uses, sorted, as written.

    Only the first word of a field or constant line is a type; comments, blank lines and
    builtin types add nothing. ``Pose[]``, ``Pose[3]``, ``Pose[<=3]`` all give ``pkg/Pose``.
    """
    found = set()
    for line in text.splitlines():
        words = line.split('#', 1)[0].split()
        if len(words) < 2:
            continue
        base = words[0].split('[', 1)[0].split('<=', 1)[0]
        if not base or base in BUILTIN_TYPES:
            continue
        found.add(base if '/' in base else '{}/{}'.format(package, base))
    return sorted(found)


class DefinitionSource:
    """The .msg texts of installed packages, read once each, and the definitions built of them."""

    def __init__(self, prefixes=None):
        """Look in ``prefixes`` (default: ament_prefixes())."""
        self.prefixes = list(prefixes) if prefixes is not None else ament_prefixes()
        self._texts = {}

    def _msg_path(self, type_name, suffix):
        package, message = split_type_name(type_name)
        share = package_share(package, self.prefixes)
        if share is None:
            raise DefinitionError('{}: package {!r} is in no ament index of {}'.format(
                type_name, package, os.pathsep.join(self.prefixes)))
        return package, os.path.join(share, 'msg', message + suffix)

    def msg_text(self, type_name):
        """Return the .msg file of ``type_name`` as installed; DefinitionError if missing."""
        key = split_type_name(type_name)
        if key not in self._texts:
            _, path = self._msg_path(type_name, '.msg')
            try:
                with open(path, encoding='utf-8') as stream:
                    self._texts[key] = stream.read()
            except OSError as error:
                raise DefinitionError('{}: cannot read {}: {}'.format(
                    type_name, path, error.strerror)) from None
        return self._texts[key]

    def full_text(self, type_name):
        """Return the schema text of ``type_name``: its .msg, then every nested type's."""
        seen = set()

        def text_with_dependencies(name):
            text = self.msg_text(name)
            parts = [text]
            for dependency in field_dependencies(text, split_type_name(name)[0]):
                if dependency not in seen:
                    seen.add(dependency)
                    parts.append('\n{}\nMSG: {}\n'.format(DELIMITER, dependency))
                    parts.append(text_with_dependencies(dependency))
            return ''.join(parts)

        return text_with_dependencies(type_name)

    def type_hash(self, type_name):
        """Return the RIHS01 type hash of ``type_name`` from its type description, or ''."""
        package, message = split_type_name(type_name)
        _, path = self._msg_path(type_name, '.json')
        try:
            with open(path, encoding='utf-8') as stream:
                hashes = json.load(stream).get('type_hashes', [])
        except (OSError, ValueError):
            return ''
        wanted = '{}/msg/{}'.format(package, message)
        return next((h.get('hash_string', '') for h in hashes if h.get('type_name') == wanted),
                    '')
