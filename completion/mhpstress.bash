# SPDX-License-Identifier: GPL-2.0-or-later
# mhpstress.bash - bash completion for mhpstress: the verbs, each verb's
# options, scenario (*.ini) and fleet files, results directories, and run
# ids from 'mhpstress list' when a daemon answers.

# The ids of the daemon's runs ('mhpstress list': a header, then one run a line).
_mhpstress_runs()
{
	local -a sock=()
	[[ -n $1 ]] && sock=(--socket "$1")
	timeout 2 "${_mhpstress_cmd:-mhpstress}" "${sock[@]}" list 2>/dev/null | awk 'NR > 1 && $1 != "" { print $1 }'
}

# Results directories under the word typed so far: those holding run.json.
_mhpstress_results_dirs()
{
	local d
	compopt -o filenames 2>/dev/null
	while IFS= read -r d; do
		[[ -f $d/run.json || -d $d/snapshots ]] && COMPREPLY+=("$d")
	done < <(compgen -d -- "$1")
	# keep descending into directories that are not results themselves
	[[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -d -- "$1"))
}

_mhpstress_files()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -X "!*.$2" -- "$1") $(compgen -d -- "$1"))
}

# An option of @2 for "-...", else a scenario or fleet file.
_mhpstress_opts_or_ini()
{
	if [[ $1 == -* ]]; then
		COMPREPLY=($(compgen -W "$2" -- "$1"))
	else
		_mhpstress_files "$1" ini
	fi
}

_mhpstress()
{
	local cur prev verb socket= i
	local verbs="run fleet compare report bugreport snapshot doctor start list status stop follow results help"
	local run_opts="--kernel --initrd --cycles --duration --seed --backend --connect --domain"
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	_mhpstress_cmd=${COMP_WORDS[0]}

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket) socket=${COMP_WORDS[i + 1]}; ((i++)) ;;
		--socket=*) socket=${COMP_WORDS[i]#--socket=} ;;
		-*) ;;
		*) [[ -z $verb ]] && verb=${COMP_WORDS[i]} ;;
		esac
	done

	case $prev in
	--socket | --agent)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--kernel | --initrd | --out | --output | -o | --config | --firmware)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--results)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--replay)
		_mhpstress_results_dirs "$cur"
		return ;;
	--backend)
		COMPREPLY=($(compgen -W "qemu libvirt" -- "$cur"))
		return ;;
	--cycles | --duration | --seed | --gdb | --connect | --domain)
		return ;;
	esac

	if [[ -z $verb ]]; then
		COMPREPLY=($(compgen -W "$verbs --socket --version --help" -- "$cur"))
		return
	fi

	case $verb in
	run) _mhpstress_opts_or_ini "$cur" "$run_opts --results --gdb --replay --ktap --quiet --verbose --help" ;;
	start) _mhpstress_opts_or_ini "$cur" "$run_opts --json --help" ;;
	fleet) _mhpstress_opts_or_ini "$cur" "--results --help" ;;
	compare)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		else
			_mhpstress_results_dirs "$cur"
			COMPREPLY+=($(compgen -f -X '!*.json' -- "$cur"))
		fi ;;
	report)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--output --help" -- "$cur"))
		else
			_mhpstress_results_dirs "$cur"
		fi ;;
	bugreport)
		case $prev in
		--vmlinux) COMPREPLY=($(compgen -f -- "$cur")) ;;
		--src) COMPREPLY=($(compgen -d -- "$cur")) ;;
		*)
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--vmlinux --src --help" -- "$cur"))
			else
				_mhpstress_results_dirs "$cur"
			fi ;;
		esac ;;
	snapshot)
		COMPREPLY=($(compgen -W "--agent --out --help" -- "$cur")) ;;
	doctor)
		COMPREPLY=($(compgen -W "--kernel --config --firmware --help" -- "$cur")) ;;
	list)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	status | stop | follow | results)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_mhpstress_runs "$socket")" -- "$cur"))
		fi ;;
	help)
		COMPREPLY=($(compgen -W "${verbs% help}" -- "$cur")) ;;
	esac
}

complete -F _mhpstress mhpstress
