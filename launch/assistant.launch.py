"""Starts the embodied_assistant nodes: action_log, memory and dialogue.

    ros2 launch embodied_assistant assistant.launch.py
    ros2 launch embodied_assistant assistant.launch.py namespace:=robot1 \
        model_path:=/models/base.gguf persona_file:=/etc/robot/persona.yaml

Every node reads configs/assistant.yaml (or params_file:=...); model_path and persona_file are
applied to the dialogue node on top of it. test/launch-files.test.ts checks that the executables
named here are installed by CMakeLists.txt and that the default files exist.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

PACKAGE = "embodied_assistant"


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    namespace = LaunchConfiguration("namespace")
    params_file = LaunchConfiguration("params_file")
    log_level = LaunchConfiguration("log_level")
    # value_type=str: an empty path stays the string '' (model-free), not YAML null.
    model_path = ParameterValue(LaunchConfiguration("model_path"), value_type=str)
    persona_file = ParameterValue(LaunchConfiguration("persona_file"), value_type=str)

    arguments = [
        DeclareLaunchArgument(
            "namespace", default_value="",
            description="Namespace for all three nodes, e.g. robot1 ('' for the root namespace)"),
        DeclareLaunchArgument(
            "params_file",
            default_value=PathJoinSubstitution([share, "configs", "assistant.yaml"]),
            description="ROS 2 params YAML for the nodes"),
        DeclareLaunchArgument(
            "model_path", default_value="",
            description="Base GGUF model for the dialogue node; '' answers from memory only"),
        DeclareLaunchArgument(
            "persona_file",
            default_value=PathJoinSubstitution(
                [share, "configs", "personas", "teaching_assistant.yaml"]),
            description="Persona spec (YAML) for the dialogue node"),
        DeclareLaunchArgument(
            "log_level", default_value="info",
            description="debug, info, warn, error or fatal"),
    ]

    def assistant_node(executable, extra_parameters=None):
        parameters = [params_file]
        if extra_parameters:
            parameters.append(extra_parameters)
        return Node(
            package=PACKAGE,
            executable=executable,
            name=executable,
            namespace=namespace,
            parameters=parameters,
            arguments=["--ros-args", "--log-level", log_level],
            output="screen",
            emulate_tty=True,
        )

    return LaunchDescription(arguments + [
        assistant_node("action_log"),
        assistant_node("memory"),
        assistant_node("dialogue", {"model_path": model_path, "persona_file": persona_file}),
    ])
