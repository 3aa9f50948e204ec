"""Launch files and configs, checked structurally: `launch`/`launch_ros` are on no registry, so
launch files are parsed with `ast` (never imported) and compared with what CMake installs and
what the node declares."""
from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from drm_ros.ros.params import PARAMS

REPO = Path(__file__).resolve().parents[1]
LAUNCH_FILES = sorted((REPO / "launch").glob("*.launch.py"))
# Parameters rclpy itself declares on every node.
RCLPY_OWNED = {"use_sim_time", "start_type_description_service"}


def installed_programs() -> set[str]:
    cmake = (REPO / "CMakeLists.txt").read_text()
    names = set()
    for block in re.findall(r"install\(\s*PROGRAMS(.*?)DESTINATION", cmake, re.S):
        names |= {Path(p).name for p in block.split()}
    return names


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", getattr(n.func, "attr", None)) == name]


def keyword(call: ast.Call, key: str):
    return next((k.value for k in call.keywords if k.arg == key), None)


def test_there_is_a_launch_file():
    assert [p.name for p in LAUNCH_FILES] == ["drm.launch.py"]


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_nodes_are_installed_executables(path):
    tree = ast.parse(path.read_text(), str(path))
    nodes = calls(tree, "Node")
    assert nodes, "no Node(...) in launch file"
    programs = installed_programs()
    for node in nodes:
        package, executable = keyword(node, "package"), keyword(node, "executable")
        assert isinstance(package, ast.Constant) and package.value == "drm_ros"
        assert isinstance(executable, ast.Constant), "executable must be a literal"
        assert executable.value in programs, f"{executable.value} not installed by install(PROGRAMS ...)"
        assert (REPO / "scripts" / executable.value).is_file()
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in tree.body)


def test_launch_arguments_and_remaps():
    tree = ast.parse(LAUNCH_FILES[0].read_text())
    declared = {c.args[0].value for c in calls(tree, "DeclareLaunchArgument")}
    assert declared == {"namespace", "image", "camera_info", "params_file", "use_sim_time", "device"}
    used = {c.args[0].value for c in calls(tree, "arg") + calls(tree, "LaunchConfiguration")
            if c.args and isinstance(c.args[0], ast.Constant)}
    assert declared <= used, f"declared but unused: {declared - used}"
    node = calls(tree, "Node")[0]
    remapped = {el.elts[0].value for el in keyword(node, "remappings").elts}
    assert remapped == {"image", "image/compressed", "camera_info"}
    # The default params file is the installed config/drm.yaml.
    src = LAUNCH_FILES[0].read_text()
    assert '"config", "drm.yaml"' in src
    installed_dirs = re.search(r"install\(DIRECTORY ([^)]*?) DESTINATION share", (REPO / "CMakeLists.txt").read_text())
    assert {"launch", "config"} <= set(installed_dirs.group(1).split())


def test_params_file_lists_exactly_the_declared_parameters():
    data = yaml.safe_load((REPO / "config" / "drm.yaml").read_text())
    params = data["/**"]["ros__parameters"]
    table = {p.name: p for p in PARAMS}
    assert set(params) == set(table), (set(params) ^ set(table))
    for name, value in params.items():
        assert table[name].validate(value) is None, name
        assert value == table[name].default, f"{name}: config default differs from the node's"


@pytest.mark.ros
def test_node_declares_exactly_the_table(tmp_path):
    """The real node, instantiated (lifecycle mode: nothing loaded), declares the table."""
    import rclpy
    from rclpy.parameter import Parameter

    from drm_ros.ros.node import DrmNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        node = DrmNode(context=ctx, parameter_overrides=[Parameter("lifecycle", value=True)])
        declared = set(node.list_parameters([], 0).names) - RCLPY_OWNED
        described = node.describe_parameters(["score_threshold", "max_persons"])
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)
    assert declared == {p.name for p in PARAMS}
    assert described[0].floating_point_range[0].to_value == 1.0 and described[0].description
    assert described[1].integer_range[0].from_value == 1


def test_fastdds_profile_is_shared_memory_only():
    root = ET.parse(REPO / "config" / "fastdds_shm.xml").getroot()
    ns = {"f": "http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles"}
    desc = root.find("f:transport_descriptors/f:transport_descriptor", ns)
    assert desc.find("f:type", ns).text == "SHM"
    participant = root.find("f:participant", ns)
    assert participant.get("is_default_profile") == "true"
    assert participant.find("f:rtps/f:useBuiltinTransports", ns).text == "false"
    assert participant.find("f:rtps/f:userTransports/f:transport_id", ns).text == desc.find("f:transport_id", ns).text


def test_rviz_config_shows_markers_and_overlay():
    data = yaml.safe_load((REPO / "config" / "drm.rviz").read_text())
    displays = {d["Class"]: d for d in data["Visualization Manager"]["Displays"]}
    assert displays["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == "/markers"
    assert displays["rviz_default_plugins/Image"]["Topic"]["Value"] == "/debug_image"
    assert data["Visualization Manager"]["Global Options"]["Fixed Frame"]
