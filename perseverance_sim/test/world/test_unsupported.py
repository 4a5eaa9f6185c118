# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unsupported SDF raises UnsupportedSdfError naming the element, the model/link and the file."""

from perseverance_nodes.domain import sdf
from perseverance_nodes.domain.sdf.errors import UnsupportedSdfError
from perseverance_nodes.world import mjcf, plugins
import pytest

LINK = '<inertial><mass>1</mass></inertial>'


def _world(tmp_path, model_body, world_extra=''):
    text = """<?xml version="1.0"?>
<sdf version="1.9"><world name="w">{}
  <model name="bot">{}</model>
</world></sdf>""".format(world_extra, model_body)
    path = tmp_path / 'w.sdf'
    path.write_text(text)
    return str(path)


def _convert(path):
    world = sdf.load_world(path, [])
    emulations = plugins.create_emulations(world)
    return mjcf.convert(world, plugins.plan_actuators(emulations))


CASES = {
    'mesh': ('<link name="arm">{}<collision name="c"><geometry><mesh><uri>a.dae</uri></mesh>'
             '</geometry></collision></link>'.format(LINK), 'mesh', 'arm'),
    'universal joint': ('<link name="a">{0}</link><link name="b">{0}</link>'
                        '<joint name="u" type="universal"><parent>a</parent><child>b</child>'
                        '</joint>'.format(LINK), 'joint', ''),
    'unknown plugin': ('<link name="a">{}</link><plugin filename="gz-sim-buoyancy-system" '
                       'name="gz::sim::systems::Buoyancy"/>'.format(LINK), 'plugin', ''),
    'imu sensor': ('<link name="a">{}<sensor name="imu" type="imu"/></link>'.format(LINK),
                   'sensor', 'a'),
    'unknown link child': ('<link name="a">{}<wibble/></link>'.format(LINK), 'wibble', 'a'),
    'kinematic link': ('<link name="a">{}<kinematic>true</kinematic></link>'.format(LINK),
                       'kinematic', 'a'),
    'restitution': ('<link name="a">{}<collision name="c"><geometry><sphere><radius>1</radius>'
                    '</sphere></geometry><surface><bounce><restitution_coefficient>0.5'
                    '</restitution_coefficient></bounce></surface></collision></link>'
                    .format(LINK), 'bounce', 'a'),
    'kinematic loop': ('<link name="a">{0}</link><link name="b">{0}</link><link name="c">{0}'
                       '</link><joint name="j1" type="revolute"><parent>a</parent><child>b'
                       '</child><axis><xyz>0 0 1</xyz></axis></joint><joint name="j2" '
                       'type="revolute"><parent>c</parent><child>b</child><axis><xyz>0 0 1'
                       '</xyz></axis></joint>'.format(LINK), 'joint', ''),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_unsupported_element_is_named(tmp_path, case):
    """Unsupported element is named."""
    body, element, link = CASES[case]
    path = _world(tmp_path, body)
    with pytest.raises(UnsupportedSdfError) as info:
        _convert(path)
    err = info.value
    assert err.element == element
    assert err.model == 'bot'
    assert err.link == link
    assert err.file == path
    assert '<{}>'.format(element) in str(err) and path in str(err)


def test_unknown_world_element(tmp_path):
    """Unknown world element."""
    path = _world(tmp_path, '<link name="a">{}</link>'.format(LINK),
                  world_extra='<actor name="walker"/>')
    with pytest.raises(UnsupportedSdfError, match='<actor>'):
        _convert(path)


def test_wrong_plugin_library_is_an_error(tmp_path):
    """Wrong plugin library is an error."""
    path = _world(tmp_path, '<link name="a">{}</link><plugin filename="gz-sim-physics-system" '
                  'name="gz::sim::systems::DiffDrive"/>'.format(LINK))
    with pytest.raises(sdf.SdfError, match='diff-drive'):
        _convert(path)


def test_render_only_elements_are_noted_not_dropped_silently(tmp_path):
    """Render only elements are noted not dropped silently."""
    path = _world(tmp_path, '<link name="a">{}<collision name="c"><laser_retro>1</laser_retro>'
                  '<geometry><sphere><radius>1</radius></sphere></geometry></collision></link>'
                  .format(LINK))
    conv = _convert(path)
    assert any('laser_retro' in note for note in conv.notes)
