"""The dashboard's chrome in the tour's languages: pane titles, footer keys, help, header.

Kubernetes' own terms stay as Korean speakers say and write them (Pod, Service,
EndpointSlice, kube-proxy, CoreDNS, namespace), as the tutorial's Korean captions do;
only the words around them are translated. A string with no translation is shown as is.

One table per language, for the chrome and the flow diagram alike. The diagram's captions
come from the engine as `engine.views.flowstory.Phrase`s: their English template (with `{slots}`)
is the key here, and the Korean template keeps every slot, so the engine's values (IPs,
names, chains, records, its own event details) are never translated. Korean keeps the
words the tutorial's Korean captions keep in English: Service, Pod, Endpoints,
EndpointSlice, kube-proxy, CoreDNS, iptables, ClusterIP, namespace, chain.
"""
from __future__ import annotations

import dataclasses

KO = {
    # pane titles
    "Pods": "Pod", "Services": "Service", "Endpoints / EndpointSlices": "Endpoints / EndpointSlice",
    "Events": "이벤트", "Terminal": "터미널", "ready": "준비됨", "NOT SERVING": "응답 없음",
    "lookups time out": "조회 시간 초과", "lookups are refused": "조회 거부됨", "lines": "줄", "no node": "노드 없음",
    # footer and help
    "Quit": "종료", "Help": "도움말", "Command": "명령", "Filter": "필터", "Describe": "상세",
    "YAML": "YAML", "Node": "노드", "Mode": "모드", "Header": "헤더", "Pause flow": "흐름 멈춤",
    "Replay": "다시 재생", "Step ▶": "단계 ▶", "◀ Step": "◀ 단계", "Faster": "빠르게", "Slower": "느리게",
    "Scale+": "스케일+", "Scale-": "스케일-", "Delete pod": "Pod 삭제", "Unready": "Ready 전환",
    "Edit": "편집", "All ns": "모든 namespace", "Screenshot": "스크린샷", "Back": "뒤로",
    "Errors": "오류", "errors and warnings": "오류와 경고", "no errors or warnings": "오류나 경고 없음",
    "+{n} more ({key} shows them all)": "외 {n}개 ({key}: 모두 보기)",
    "Flow": "흐름도", "Next": "다음", "Previous": "이전", "Hide chrome": "패널만 보기", "Zoom": "확대", "Layout": "배치", "Complete": "완성",
    "svcflow keys": "svcflow 키",
    "running…": "실행 중…",
    "Step {n} is still playing: press the key again when it is done.": "{n}단계가 아직 진행 중입니다. 끝나면 키를 다시 누르세요.",
    "jump to a pane": "패널로 이동",
    "get/describe/logs/scale/delete/exec…; --dry-run": "get/describe/logs/scale/delete/exec…; --dry-run",
    "filter every pane (regex; empty clears)": "모든 패널 필터 (정규식, 비우면 해제)",
    "Tab completes, Up/Down recall earlier commands": "Tab 자동 완성, 위/아래 이전 명령",
    "esc to go back": "esc: 뒤로",
    # header
    "cluster": "클러스터", "nodes": "노드", "pods": "Pod", "services": "Service", "proxy": "proxy",
    "ns": "namespace", "svc": "Service", "all namespaces": "모든 namespace", "flow paused": "흐름 멈춤", "speed": "속도",
    "more": "개 더",
    # prompt
    "command": "명령", "filter (regex), enter to apply, empty clears": "필터(정규식), Enter 적용, 비우면 해제",

    # -- the flow diagram (tui/widgets/flow_diagram.py): labels, title, status ----------------
    "Pause": "멈춤", "Live": "실시간", "Flow diagram": "흐름 그림",
    "Endpoint controller": "Endpoint 컨트롤러", "watch": "감시", "write": "기록", "watches Services+Pods": "Service, Pod 감시", "collected:": "수집:",
    "ready: {ips}": "준비됨: {ips}", "not ready: {ips}": "준비 안 됨: {ips}", "none": "없음",
    "pod {name}": "Pod {name}", "no ready pod": "준비된 Pod 없음", "no ready address": "준비된 주소 없음",
    "{mode}: {n} rules": "{mode}: 규칙 {n}개", "+{n} more": "외 {n}개", "+{n} nodes": "+노드 {n}개", "kube-proxy on": "모든 노드의",
    "every node": "kube-proxy", "watches Services + EndpointSlices": "Service + EndpointSlice 감시",
    "(unchanged)": "(변경 없음)", "not asked (an IP, no name)": "조회 없음 (이름 없이 IP)",
    "No Service change or connection yet: apply a manifest, scale, or curl a Service.":
        "아직 Service 변경이나 연결이 없다: manifest를 적용하거나 scale하거나 Service에 curl을 해 보자.",
    "Service flow": "Service 흐름", "traffic {client} → {target}": "트래픽 {client} → {target}",
    "lookup {client} → {name}": "조회 {client} → {name}", "no story yet": "아직 없음", "paused": "멈춤",
    "live: this is the latest step": "실시간: 지금이 최신 단계",
    "live: {parts} ahead": "실시간이 {parts} 앞섬", "{n} change": "변경 {n}개", "{n} changes": "변경 {n}개",
    "{n} step": "단계 {n}개", "{n} steps": "단계 {n}개", " and ": ", ",
    "DNS query": "DNS 조회", "answer": "응답", "pod": "Pod", "no answer": "응답 없음", "timed out": "시간 초과",
    # the diagram's captions (engine/flowstory.py Phrase templates; the values stay as the engine gives them)
    "① Endpoint controller collects the pod IPs of Service {name}: {ips}{nr}":
        "① Endpoint 컨트롤러가 Service {name}의 Pod IP를 수집한다: {ips}{nr}",
    " (not ready: {ips})": " (준비 안 됨: {ips})",
    "① Service {name} added (created {created})": "① Service {name} 추가됨 (생성 {created})",
    "② The controllers write {objects}: {ips}": "② 컨트롤러가 {objects}에 기록한다: {ips}",
    "② {objects} written by {controller} {when}: {ips}": "② {controller}가 {objects} 기록 {when}: {ips}",
    "{seconds} s after the Service was added": "Service 추가 {seconds}초 후", "(watch event)": "(watch 이벤트)",
    "{a} and {b}": "{a}, {b}", "Endpoints {name} (deleted)": "Endpoints {name} (삭제)",
    "③ kube-proxy on {node} ({mode}): {summary} ({rules} rules)": "③ {node}의 kube-proxy ({mode}): {summary} (규칙 {rules}개)",
    "{n} virtual servers written, {d} deleted": "virtual server {n}개 기록, {d}개 삭제",
    "{n} chains written, {d} deleted": "chain {n}개 기록, {d}개 삭제",
    "④ CoreDNS serves {record}": "④ CoreDNS가 {record} 제공",
    "④ CoreDNS no longer serves {record}": "④ CoreDNS가 {record} 제공 중단",
    "④ CoreDNS still serves {record}{extra}": "④ CoreDNS는 계속 {record} 제공{extra}",
    "; adds {record}": "; {record} 추가", "; drops {record}": "; {record} 제거",
    "⇢ {who} asks CoreDNS{server} for {name}": "⇢ {who} → CoreDNS{server}: {name} 조회",
    "⇠ CoreDNS answers {name}: {answer}": "⇠ CoreDNS 응답 {name}: {answer}",
    "⇠ no answer from {server}:53: {error}": "⇠ {server}:53 응답 없음: {error}",
    "no Service chain": "Service chain 없음", "{target} on {node}": "{node}의 {target}",
    "NodePort {target} on {node}": "{node}의 NodePort {target}",
    "⇢ packet to {where} ({mode}): {path}": "⇢ 패킷 → {where} ({mode}): {path}",
    "⇢ no DNAT: {result}": "⇢ DNAT 없음: {result}", "⇢ reached pod {pod}: {result}": "⇢ Pod {pod} 도착: {result}",

    # -- the flow strip (tui/widgets/flow.py) ---------------------------------------------------
    "waiting for a Service change…": "Service 변경을 기다리는 중…", "(+{n} queued)": "(+{n} 대기)",
    "① {controller}: Service {svc} selects pods {ips}": "① {controller}: Service {svc}의 Pod {ips}",
    "— none ready": "— 준비된 Pod 없음",
    "① {controller}: Service {svc} added (created {created})": "① {controller}: Service {svc} 추가됨 (생성 {created})",
    "② {controller} wrote {kind} {name}: {detail}": "② {controller}: {kind} {name} 기록: {detail}",
    "③ kube-proxy on {node} ({mode}): {detail}": "③ {node}의 kube-proxy ({mode}): {detail}",
    "preview: the cluster runs {mode}": "미리보기: 클러스터는 {mode} 사용",
    "searching {percent}%": "검색 중 {percent}%",
    "kube-proxy not running: its last rules": "kube-proxy 중지됨: 마지막 규칙",
    "kube-proxy not running": "kube-proxy 중지됨",
    "svcflow: the Kubernetes API is served at {url}; to use it with kubectl:":
        "svcflow: Kubernetes API를 {url} 에서 제공한다; kubectl로 쓰려면:",
    "svcflow: not serving the Kubernetes API: {why}": "svcflow: Kubernetes API를 제공하지 않는다: {why}",
    "({n} flow events of a bulk change skipped)": "(대량 변경의 흐름 이벤트 {n}개 건너뜀)",
    "{name} has no pods now: s scales the Deployment of the pod selected; :kubectl scale deploy/{name} --replicas=1 brings it back":
        "{name}의 Pod가 없다: s는 선택한 Pod의 Deployment를 늘린다; :kubectl scale deploy/{name} --replicas=1 로 되돌린다",
    "The diagram shows what kube-proxy does: this cluster runs {mode}. m in the kube-proxy pane previews another mode's rules.":
        "흐름도는 kube-proxy가 하는 일을 보여 준다: 이 클러스터는 {mode} 사용. kube-proxy 패널의 m은 다른 모드의 규칙을 미리 보여 준다.",
    "① Service {svc} selects pods {ips}": "① Service {svc}의 Pod {ips}",
    "② wrote {kind} {name}: {detail}": "② {kind} {name} 기록: {detail}",
    "③ {node} ({mode}): {detail}": "③ {node} ({mode}): {detail}",
    "⇢ traffic {detail}": "⇢ 트래픽 {detail}", "⇢ lookup {detail}": "⇢ 조회 {detail}",
}

LANGUAGES = {"en": {}, "ko": KO}


def translator(lang: str | None):
    """A function giving a chrome string in `lang` (English, the source, for unknown ones)."""
    table = LANGUAGES.get(lang or "en", {})
    return lambda s: table.get(s, s)


def translate_bindings(node, tr) -> None:
    """A node's own key bindings (the footer's and help's descriptions) in `tr`'s language:
    the app's, and the flow diagram's while it is shown."""
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [dataclasses.replace(b, description=tr(b.description)) for b in bindings]
