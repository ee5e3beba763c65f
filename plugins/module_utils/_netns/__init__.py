# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine of linuxnet.netns's modules (private: no API of the collection's).

Run from an AnsiballZ payload (a zip on sys.path), importing this package puts a finder in
front of zipimport for the engine's own modules, the rest of this package. CPython's zipimporter
compiles a module's source twice: once to answer get_filename() while it makes the module's
spec, once more to run it (python/cpython#141276: 3.10 to 3.13 do, and it is open). The engine is
about 430 kB of source: compiled once, a module run costs about 60 ms less (docs/performance.md).
Anywhere else (files on disk: unit tests, ansible-test, an exploded module) nothing changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import zipimport
from importlib.util import spec_from_loader


class _CompiledOnce:
    """Loads a module of this package from the payload's zip, compiling its source once."""

    def __init__(self, package):
        self._prefix = package + '.'
        self._importers = {}  # a zipimporter per directory of the zip, as sys.path_importer_cache

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self._prefix) or not path:
            return None
        try:
            if path[0] not in self._importers:
                self._importers[path[0]] = zipimport.zipimporter(path[0])
            importer = self._importers[path[0]]
            is_package = importer.is_package(fullname)
        except zipimport.ZipImportError:
            return None  # not in the zip: let the other finders answer
        location = path[0] + '/' + fullname.rpartition('.')[2]
        spec = spec_from_loader(fullname, _SourceLoader(importer), is_package=is_package,
                                origin=location + ('/__init__.py' if is_package else '.py'))
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [location]
        return spec


class _SourceLoader:
    def __init__(self, importer):
        self._importer = importer
        self.archive = importer.archive  # as zipimport's loader has it (boot.payload reads the zip)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        source = self.get_source(module.__name__)
        if source is None:  # bytecode alone in the zip: zipimport's own code object, compiled by nobody
            code = self._importer.get_code(module.__name__)
        else:
            code = compile(source, module.__spec__.origin, 'exec', dont_inherit=True)
        exec(code, module.__dict__)  # pylint: disable=exec-used  # what a loader is for

    def get_source(self, fullname):  # for tracebacks (linecache)
        return self._importer.get_source(fullname)

    def is_package(self, fullname):
        return self._importer.is_package(fullname)


def _compile_engine_once():
    spec = globals().get('__spec__')
    if spec is None or not isinstance(spec.loader, zipimport.zipimporter) or not spec.submodule_search_locations:
        return
    if not any(isinstance(finder, _CompiledOnce) for finder in sys.meta_path):
        sys.meta_path.insert(0, _CompiledOnce(spec.name))


_compile_engine_once()
