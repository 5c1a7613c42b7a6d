"""The emulator keeps CreateCollection's Tags and answers ListTagsForResource, as AWS does."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conformance.emulator.server import EmulatorServer


def test_tags_given_at_creation_are_listed_by_the_collection_arn() -> None:
    with EmulatorServer() as server:
        client = boto3.client("rekognition", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="x", aws_secret_access_key="x",
                              config=Config(retries={"max_attempts": 1}))
        created = client.create_collection(CollectionId="tagged", Tags={"team": "a-b"})
        client.create_collection(CollectionId="plain")
        arn = client.describe_collection(CollectionId="tagged")["CollectionARN"]
        assert arn == created["CollectionArn"]
        assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "a-b"}
        plain = client.describe_collection(CollectionId="plain")["CollectionARN"]
        assert client.list_tags_for_resource(ResourceArn=plain)["Tags"] == {}
        with pytest.raises(ClientError) as missing:
            client.list_tags_for_resource(ResourceArn=arn.replace("tagged", "absent"))
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
