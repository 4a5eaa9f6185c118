# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The text of the page's panels, as Markdown (pure; the page only displays it).

Mission status (phase, step, progress, sim time, real-time factor), the tube ledger (every
tube: id, sample, seal, holder) with the latest custody events, and the faults (active first,
then recovered and cleared).
"""

from .view_state import TUBE_COLOURS, tube_state

IDLE_PHASES = ('IDLE', 'SUCCEEDED', 'FAILED')
CAMERA_OFF = ('No image: the world renders no camera (start it with cameras_enabled:=true, '
              'as `perseverance-sim teleop` does).')   # mission_control runs no campaign
SEAL_NAMES = {0: 'unsealed', 1: 'sealed', 2: 'seal failed'}
ACTIVE_FAULT_STATES = ('ARMED', 'ACTIVE')


def campaign_phase(mission, phase_names):
    """Return the phase name while mission_control runs a campaign, else None."""
    if mission is None:
        return None
    name = phase_names.get(mission.phase, str(mission.phase))
    return None if name in IDLE_PHASES else name


def _clock(seconds):
    if seconds is None:
        return 'no /clock yet'
    minutes, secs = divmod(seconds, 60.0)
    return '{:.1f} s ({:d} min {:04.1f} s)'.format(seconds, int(minutes), secs)


def state_texts(inputs, phase_names):
    """Return the mission, ledger and faults panels of ``ViewState.panel_inputs()``."""
    return {
        'mission': mission_markdown(inputs['mission'], phase_names, inputs['sim_time'],
                                    inputs['real_time_factor']),
        'ledger': ledger_markdown(inputs['inventory'], inputs['events']),
        'faults': faults_markdown(inputs['faults']),
    }


def mission_markdown(mission, phase_names, sim_time, real_time_factor):
    """Return the mission status panel."""
    rate = 'measuring' if real_time_factor is None else '{:.2f}'.format(real_time_factor)
    lines = ['**Sim time** {}  \n**Real-time factor** {}'.format(_clock(sim_time), rate)]
    if mission is None:
        lines.append('No campaign: mission_control has published no /mission_status.')
    else:
        lines.append('**Phase** {}  \n**Step** {}  \n**Progress** {:.0%}'.format(
            phase_names.get(mission.phase, mission.phase), mission.step or '-',
            mission.progress))
        lines.append('Tubes sealed {}, in the depot {}, in the container {}; active faults '
                     '{}'.format(mission.tubes_sealed, mission.tubes_in_depot,
                                 mission.tubes_in_container, mission.active_faults))
    return '\n\n'.join(lines)


def _swatch(state):
    red, green, blue = TUBE_COLOURS[state]
    return '<span style="color:rgb({},{},{})">&#9632;</span>'.format(red, green, blue)


def legend_markdown():
    """Return the tube colour legend."""
    return ' '.join('{} {}'.format(_swatch(state), state) for state in TUBE_COLOURS)


def ledger_markdown(inventory, events):
    """Return the tube ledger panel: one row per tube, then the latest custody events."""
    if not inventory:
        return 'No /tube_inventory yet (is tube_ledger running?)'
    rows = ['{} tubes'.format(len(inventory)), '',
            '| tube | sample | seal | holder |', '|---|---|---|---|']
    for tube in inventory:
        rows.append('| {} {} | {} | {} | {} |'.format(
            _swatch(tube_state(tube)), tube.tube_id, tube.sample_name or '-',
            SEAL_NAMES.get(tube.seal, tube.seal), tube.holder))
    rows += ['', '**Latest custody events**', '']
    if not events:
        rows.append('none yet')
    for event in events:
        rows.append('- #{} {} {}: {} -> {} ({})'.format(
            event.sequence, event.tube_id, event.action, event.from_holder, event.to_holder,
            event.actor))
    return '\n'.join(rows)


def faults_markdown(faults):
    """Return the faults panel: active and armed first, then recovered and cleared."""
    if not faults:
        return 'No fault armed or fired.'
    ordered = sorted(faults, key=lambda f: (f.state not in ACTIVE_FAULT_STATES, f.fault_id))
    rows = ['| fault | kind | state | target | at |', '|---|---|---|---|---|']
    for fault in ordered:
        rows.append('| {} | {} | **{}** | {} | {:.1f} s |'.format(
            fault.fault_id, fault.kind, fault.state, fault.target or fault.trigger,
            fault.stamp))
    return '\n'.join(rows)


def driving_markdown(driver_view, disabled_reason):
    """Return the driving panel: limits, speeds, pose, the last action's news, what is missing."""
    lines = []
    if disabled_reason:
        lines.append('**Driving is disabled**: {}.'.format(disabled_reason))
    lines.append('Speed {:+.3f} m/s, turn {:+.3f} rad/s (top {:.3f} m/s, {:.3f} rad/s)'.format(
        driver_view['linear'], driver_view['angular'], driver_view['max_linear'],
        driver_view['max_angular']))
    lines.append('Limits: {}'.format(driver_view['limits']))
    pose = driver_view['pose']
    lines.append('Rover at x {:.2f} m, y {:.2f} m, heading {:.0f} deg'.format(
        pose[0], pose[1], pose[2] * 57.29578) if pose else 'Rover: no odometry yet')
    lines.append('Last action: {}'.format(driver_view['action'] or 'none yet'))
    if driver_view['missing']:
        lines.append('Waiting for: {}'.format(', '.join(driver_view['missing'])))
    return '  \n'.join(lines)
