# SPDX-License-Identifier: GPL-2.0-or-later
# common.sh - helpers shared by the tools/ scripts (sourced, not run).

set -euo pipefail

MHP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MHP_CACHE=${MHPSTRESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mhpstress}
MHP_PROG=$(basename "$0")

log() { printf '%s: %s\n' "$MHP_PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$MHP_PROG" "$*" >&2; exit 2; }

# need_cmds PKG:CMD...: install the Debian packages whose command is missing
# (as root), or say exactly what to install.
need_pkgs() {
	local missing=() spec pkg probe
	for spec in "$@"; do
		pkg=${spec%%:*}
		probe=${spec#*:}
		case $probe in
		/*) [ -e "$probe" ] && continue ;;
		*) command -v "$probe" >/dev/null 2>&1 && continue ;;
		esac
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing build dependencies; run: sudo apt-get install --no-install-recommends ${missing[*]}"
	fi
	log "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
		apt-get update -q >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	fi
}

# Private apt: reuse the Debian mirror configured on this system, add the
# suites we need, never touch the system's own sources.
papt_init() {
	local d=$MHP_CACHE/apt mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$mirror" ]; then
		mirror=$(awk '$1 == "deb" && $0 ~ /debian/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list 2>/dev/null || true)
	fi
	[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; configure apt first"
	mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/etc/preferences.d" "$d/etc/sources.list.d" "$d/state"
	touch "$d/state/status"
	cat >"$d/etc/sources.list" <<-SRC
	deb [arch=amd64,arm64 signed-by=$keyring] $mirror trixie-backports main
	deb [arch=amd64,arm64 signed-by=$keyring] $mirror bookworm-backports main
	deb [arch=amd64,arm64 signed-by=$keyring] $mirror bookworm main
	SRC
	cat >"$d/apt.conf" <<-CONF
	Dir::State "$d";
	Dir::State::Lists "$d/lists";
	Dir::State::status "$d/state/status";
	Dir::Cache "$d";
	Dir::Cache::archives "$d/archives";
	Dir::Etc::SourceList "$d/etc/sources.list";
	Dir::Etc::SourceParts "$d/etc/sources.list.d";
	Dir::Etc::Preferences "$d/etc/preferences";
	Dir::Etc::PreferencesParts "$d/etc/preferences.d";
	APT::Architecture "amd64";
	APT::Architectures { "amd64"; "arm64"; };
	APT::Sandbox::User "root";
	CONF
	export APT_CONFIG=$d/apt.conf
	# Refresh at most once a day.
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
		log "updating the private package lists"
		apt-get update -q >&2 || die "apt-get update failed for the private sources in $d"
	fi
}

# papt_version PKG: candidate version of PKG in the private sources.
papt_version() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}

# papt_download PKG DESTDIR: download PKG's .deb once, print its path.
papt_download() {
	local pkg=$1 ver dir file
	ver=$(papt_version "$pkg")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "package '$pkg' not found in the private sources"
	dir=$2/${pkg//:/_}/${ver//:/_}
	file=$(find "$dir" -maxdepth 1 -name '*.deb' 2>/dev/null | head -n 1)
	if [ -z "$file" ]; then
		mkdir -p "$dir"
		(cd "$dir" && apt-get download -q "$pkg=$ver" >&2) || die "apt-get download '$pkg' failed"
		file=$(find "$dir" -maxdepth 1 -name '*.deb' | head -n 1)
		[ -n "$file" ] || die "apt-get download '$pkg' left no .deb in $dir"
	fi
	printf '%s\n' "$file"
}

sha_of() { sha256sum | cut -c1-16; }
