import pytest

from .sftp_server import SFTPTestServer, generate_key

SFTP_USER = "doors"
SFTP_PASSWORD = "s3cret-sftp-Pa55word"


@pytest.fixture
def client_key_file(tmp_path):
    path = tmp_path / "secrets" / "id_ed25519"
    path.parent.mkdir(exist_ok=True)
    generate_key(path)
    return path


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "secrets" / "sftp-password"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SFTP_PASSWORD + "\n")
    return path


@pytest.fixture
def sftp_server(tmp_path, client_key_file):
    """A running SFTP server serving tmp_path/sftp-root, its "in" directory ready."""
    import asyncssh

    root = tmp_path / "sftp-root"
    (root / "in").mkdir(parents=True)
    client_key = asyncssh.read_private_key(client_key_file)
    server = SFTPTestServer(root, username=SFTP_USER, password=SFTP_PASSWORD,
                            client_key=client_key)
    server.start()
    yield server
    server.shutdown()
