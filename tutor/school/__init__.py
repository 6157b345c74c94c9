"""The multi-process deployment on one machine (``tutor school``): launcher and HAProxy configuration."""
