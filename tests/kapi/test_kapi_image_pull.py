"""An image that cannot be pulled, through the REAL kubectl against the served API, as on
kind v1.33: `kubectl run --image=ngnix` makes a pod that `get pods` shows ImagePullBackOff
and `describe pod` shows Waiting with the kubelet's events; `kubectl run --image=Nginx` is
refused by kubectl itself; `kubectl set image` on the pod starts it (engine/kubelet/images.py,
pulls.py, kubelet.py).
"""
from __future__ import annotations

from tests.served import served_samples

served = served_samples(settle_on_write=True)

DENIED = ('rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/ngnix:latest": '
          'failed to resolve reference "docker.io/library/ngnix:latest": pull access denied, repository does not '
          "exist or may require authorization: server message: insufficient_scope: authorization failed")


async def test_a_mistyped_image_backs_off_and_set_image_fixes_it(served, kubectl):
    assert (await kubectl("run", "web", "--image=ngnix"))[:2] == (0, "pod/web created\n")
    code, out, err = await kubectl("get", "pods", "web")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["web", "0/1", "ImagePullBackOff", "0"]
    assert header.index("STATUS") == row.index("ImagePullBackOff")

    code, out, _ = await kubectl("get", "pod", "web", "-o",
                                 "jsonpath={.status.phase} {.status.containerStatuses[0].state.waiting.message}")
    assert out == f'Pending Back-off pulling image "ngnix": ErrImagePull: {DENIED}'

    code, out, _ = await kubectl("describe", "pod", "web")
    assert "Status:           Pending\n" in out
    assert "    State:          Waiting\n      Reason:       ImagePullBackOff\n    Ready:          False\n" in out
    events = out.split("Events:\n", 1)[1].splitlines()
    assert events[0].split() == ["Type", "Reason", "Age", "From", "Message"]
    rows = [(line.split()[0], line.split()[1], line.split("kubelet", 1)[1].strip()) for line in events[2:]
            if "kubelet" in line]
    assert rows == [("Normal", "Pulling", 'Pulling image "ngnix"'),
                    ("Warning", "Failed", f'Failed to pull image "ngnix": {DENIED}'),
                    ("Warning", "Failed", "Error: ErrImagePull"),
                    ("Normal", "BackOff", 'Back-off pulling image "ngnix"'),
                    ("Warning", "Failed", "Error: ImagePullBackOff")]
    assert "(x2 over " in events[-1]  # (the sync after the status write backs off again)

    assert (await kubectl("set", "image", "pod/web", "web=nginx:1.27"))[:2] == (0, "pod/web image updated\n")
    served.call(lambda: served.cluster.run_for(10))
    code, out, _ = await kubectl("get", "pods", "web", "--no-headers")
    assert out.split()[:4] == ["web", "1/1", "Running", "0"]
    code, out, _ = await kubectl("describe", "pod", "web")
    assert out.rstrip().endswith("Started container web")
    assert 'Pulling image "nginx:1.27"' in out


async def test_kubectl_run_refuses_an_upper_case_image_itself(served, kubectl):
    code, out, err = await kubectl("run", "caps", "--image=Nginx")
    assert (code, out, err) == (1, "", 'error: Invalid image name "Nginx": invalid reference format\n')


async def test_an_upper_case_image_in_a_manifest_is_invalid_image_name(served, kubectl, tmp_path):
    manifest = tmp_path / "caps.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: caps}\nspec:\n"
                        "  containers: [{name: web, image: Nginx}]\n")
    assert (await kubectl("apply", "-f", str(manifest)))[:2] == (0, "pod/caps created\n")
    code, out, _ = await kubectl("get", "pods", "caps", "--no-headers")
    assert out.split()[:4] == ["caps", "0/1", "InvalidImageName", "0"]
    code, out, _ = await kubectl("get", "events", "--field-selector", "involvedObject.name=caps,source=kubelet",
                                 "-o", "jsonpath={range .items[*]}{.reason}: {.message}{'\\n'}{end}")
    assert out.splitlines() == [
        "InspectFailed: Failed to apply default image tag \"Nginx\": couldn't parse image name \"Nginx\": "
        "invalid reference format: repository name (library/Nginx) must be lowercase",
        "Failed: Error: InvalidImageName"]
