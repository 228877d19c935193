"""The dashboard's chrome in the tour's languages: pane titles, footer keys, help, header.

Kubernetes' own terms stay as Korean speakers say and write them (Pod, Service,
EndpointSlice, kube-proxy, CoreDNS, namespace), as the tutorial's Korean captions do;
only the words around them are translated. A string with no translation is shown as is.
"""
from __future__ import annotations

KO = {
    # pane titles
    "Pods": "Pod", "Services": "Service", "Endpoints / EndpointSlices": "Endpoints / EndpointSlice",
    "Events": "이벤트", "Terminal": "터미널", "ready": "준비됨", "NOT SERVING": "응답 없음",
    "lookups time out": "조회 시간 초과", "lines": "줄",
    # footer and help
    "Quit": "종료", "Help": "도움말", "Command": "명령", "Filter": "필터", "Describe": "상세",
    "YAML": "YAML", "Node": "노드", "Mode": "모드", "Header": "헤더", "Pause flow": "흐름 멈춤",
    "Replay": "다시 재생", "Step ▶": "단계 ▶", "◀ Step": "◀ 단계", "Faster": "빠르게", "Slower": "느리게",
    "Scale+": "스케일+", "Scale-": "스케일-", "Delete pod": "Pod 삭제", "Unready": "Ready 전환",
    "Edit": "편집", "All ns": "모든 namespace", "Screenshot": "스크린샷", "Back": "뒤로",
    "Next": "다음", "Previous": "이전", "Hide chrome": "패널만 보기", "Zoom": "확대", "Layout": "배치", "Complete": "완성",
    "svcflow keys": "svcflow 키",
    "jump to a pane": "패널로 이동",
    "get/describe/scale/delete/label/rollout restart/exec": "get/describe/scale/delete/label/rollout restart/exec",
    "filter every pane (regex; empty clears)": "모든 패널 필터 (정규식, 비우면 해제)",
    "Tab completes, Up/Down recall earlier commands": "Tab 자동 완성, 위/아래 이전 명령",
    "esc to go back": "esc: 뒤로",
    # header
    "cluster": "클러스터", "nodes": "노드", "pods": "Pod", "services": "Service", "proxy": "proxy",
    "ns": "namespace", "svc": "Service", "all namespaces": "모든 namespace", "flow paused": "흐름 멈춤", "speed": "속도",
    "more": "개 더",
    # prompt
    "command": "명령", "filter (regex), enter to apply, empty clears": "필터(정규식), Enter 적용, 비우면 해제",
}

LANGUAGES = {"en": {}, "ko": KO}


def translator(lang: str | None):
    """A function giving a chrome string in `lang` (English, the source, for unknown ones)."""
    table = LANGUAGES.get(lang or "en", {})
    return lambda s: table.get(s, s)
