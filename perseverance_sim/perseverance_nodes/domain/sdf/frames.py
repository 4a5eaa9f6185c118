# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Resolve the frames of a loaded world: every pose in the world frame, every attachment to a link.

Frame semantics follow the SDF 1.9 specification (sdformat.org "pose frame semantics"):

- a model's pose is relative to its parent scope (the world, or the parent model frame);
  with ``placement_frame`` the pose places that frame instead of the model frame;
- link, frame and nested-model poses default to ``__model__``; a joint's pose defaults to its
  child link; a frame's pose defaults to its ``attached_to`` frame; collision, visual and sensor
  poses default to their link; any of them may name another frame in ``relative_to``;
- names in a scope may reach into nested models with ``nested::element``;
- the model frame is attached to the canonical link (``canonical_link`` or the first link).

Joint ends and ``<frame>`` attachments follow the ``attached_to`` chain to the scoped name of a
link (or 'world'). Cycles in either graph raise ``SdfError``.
"""

from .errors import SdfError
from .model import Frame, Joint, Link, Model
from .transforms import IDENTITY


def resolve_frames(world):
    """Set every world pose, joint end and frame attachment of ``world`` in place."""
    FrameResolver(world).resolve()


class FrameResolver:
    """Resolves relative_to / attached_to graphs into world poses and attached links."""

    def __init__(self, world):
        self.world = world
        self._visiting = set()

    def resolve(self):
        """Resolve every model of the world, then the world's own frames."""
        world = self.world
        for model in world.all_models():
            self._resolve_model(model)
        for frame in world.frames.values():
            frame.world_pose = self.local(world, frame.name)
            frame.link = self.attached_link(world, frame.name)

    def _scope_name(self, scope):
        return scope.scoped_name if isinstance(scope, Model) else '(world)'

    def _err(self, scope, message, element=''):
        return SdfError(message, element=element,
                        model=scope.scoped_name if isinstance(scope, Model) else '',
                        file=getattr(scope, 'source', ''))

    def _resolve_model(self, model):
        model.world_pose = self.model_world_pose(model)
        model.canonical = self.canonical_link(model)
        for link in model.links.values():
            link.world_pose = model.world_pose * self.local(model, link.name)
            for coll in link.collisions:
                coll.world_pose = self._attached_pose(model, link, coll.pose, coll.relative_to)
            for vis in link.visuals:
                vis.world_pose = self._attached_pose(model, link, vis.pose, vis.relative_to)
            for sensor in link.sensors:
                sensor.world_pose = self._attached_pose(model, link, sensor.pose,
                                                        sensor.relative_to)
        for joint in model.joints.values():
            joint.world_pose = model.world_pose * self.local(model, joint.name)
            joint.parent = self._joint_end(model, joint.parent_ref, joint, 'parent')
            joint.child = self._joint_end(model, joint.child_ref, joint, 'child')
            if joint.child == 'world':
                raise self._err(model, 'joint {} has world as child'.format(joint.name),
                                'joint')
            if joint.axis is not None:
                frame = joint.axis.expressed_in
                if frame:
                    rot = (model.world_pose * self.local(model, frame)).rot
                else:
                    rot = joint.world_pose.rot
                joint.axis.world_xyz = rot @ joint.axis.xyz
        for frame in model.frames.values():
            frame.world_pose = model.world_pose * self.local(model, frame.name)
            frame.link = self.attached_link(model, frame.name)

    def _attached_pose(self, model, link, pose, relative_to):
        if relative_to:
            return model.world_pose * self.local(model, relative_to) * pose
        return link.world_pose * pose

    def _joint_end(self, model, name, joint, which):
        if name == 'world':
            return 'world'
        link = self.attached_link(model, name)
        if link == 'world':
            return 'world'
        return link

    def model_world_pose(self, model):
        """Pose of ``model``'s frame in the world, through its parent models."""
        parent_scope, local_name = self._parent_scope(model)
        if parent_scope is self.world:
            return self.local(self.world, local_name)
        return self.model_world_pose(parent_scope) * self.local(parent_scope, local_name)

    def _parent_scope(self, model):
        parts = model.scoped_name.split('::')
        if len(parts) == 1:
            return self.world, parts[0]
        return self.world.model('::'.join(parts[:-1])), parts[-1]

    def _lookup(self, scope, name):
        """Element named ``name`` (no '::') in scope, or None."""
        if isinstance(scope, Model):
            for table in (scope.links, scope.joints, scope.frames, scope.models):
                if name in table:
                    return table[name]
            return None
        return scope.models.get(name) or scope.frames.get(name)

    def local(self, scope, name):
        """Pose of frame ``name`` relative to the scope frame (model frame or world)."""
        is_model = isinstance(scope, Model)
        if name in ('', '__model__') and is_model:
            return IDENTITY
        if name == 'world':
            if is_model:
                raise self._err(scope, 'relative_to="world" is not allowed inside a model',
                                'pose')
            return IDENTITY
        if '::' in name:
            head, rest = name.split('::', 1)
            nested = self._lookup(scope, head)
            if not isinstance(nested, Model):
                raise self._err(scope, 'frame {!r} not found in {}'.format(
                    name, self._scope_name(scope)), 'pose')
            return self.local(scope, head) * self.local(nested, rest)
        elem = self._lookup(scope, name)
        if elem is None:
            raise self._err(scope, 'frame {!r} not found in {}'.format(
                name, self._scope_name(scope)), 'pose')
        key = (id(scope), name)
        if key in self._visiting:
            raise self._err(scope, 'cycle in relative_to graph at {!r}'.format(name), 'pose')
        self._visiting.add(key)
        try:
            default = '__model__' if is_model else 'world'
            if isinstance(elem, Model):
                desired = self.local(scope, elem.relative_to or default) * elem.pose
                if elem.placement_frame:
                    return desired * self.local(elem, elem.placement_frame).inverse()
                return desired
            if isinstance(elem, Joint):
                return self.local(scope, elem.relative_to or elem.child_ref) * elem.pose
            if isinstance(elem, Frame):
                base = elem.relative_to or elem.attached_to or default
                return self.local(scope, base) * elem.pose
            return self.local(scope, elem.relative_to or default) * elem.pose
        finally:
            self._visiting.discard(key)

    def canonical_link(self, model):
        """Scoped name of the link the model frame is attached to."""
        if model.canonical_link:
            name = model.canonical_link
            if '::' in name:
                head, rest = name.split('::', 1)
                nested = model.models.get(head)
                if nested is None:
                    raise self._err(model, 'canonical_link {!r} not found'.format(name),
                                    'model')
                return self._nested_link(nested, rest)
            if name not in model.links:
                raise self._err(model, 'canonical_link {!r} not found'.format(name), 'model')
            return model.links[name].scoped_name
        if model.links:
            return next(iter(model.links.values())).scoped_name
        return self.canonical_link(next(iter(model.models.values())))

    def _nested_link(self, model, name):
        if '::' in name:
            head, rest = name.split('::', 1)
            return self._nested_link(model.models[head], rest)
        return model.links[name].scoped_name

    def attached_link(self, scope, name, depth=0):
        """Scoped name of the link a frame is rigidly attached to ('world' for world frames)."""
        if depth > 64:
            raise self._err(scope, 'cycle in attached_to graph at {!r}'.format(name), 'frame')
        is_model = isinstance(scope, Model)
        if name in ('', '__model__') and is_model:
            return self.canonical_link(scope)
        if name == 'world':
            return 'world'
        if '::' in name:
            head, rest = name.split('::', 1)
            nested = self._lookup(scope, head)
            if not isinstance(nested, Model):
                raise self._err(scope, 'frame {!r} not found'.format(name), 'frame')
            return self.attached_link(nested, rest, depth + 1)
        elem = self._lookup(scope, name)
        if elem is None:
            raise self._err(scope, 'frame {!r} not found in {}'.format(
                name, self._scope_name(scope)), 'frame')
        if isinstance(elem, Link):
            return elem.scoped_name
        if isinstance(elem, Joint):
            return self.attached_link(scope, elem.child_ref, depth + 1)
        if isinstance(elem, Model):
            return self.canonical_link(elem)
        return self.attached_link(scope, elem.attached_to or ('__model__' if is_model else
                                                              'world'), depth + 1)
