#!/bin/sh
# systemctl for the e2e test host, which has no systemd: reloading or restarting ssh sends
# SIGHUP to sshd (what Debian's ssh.service ExecReload does), so a bootstrap step's
# `systemctl try-reload-or-restart ssh.service` really re-reads sshd_config. Every call is
# logged to /var/log/gwb-systemctl.log for the tests to count.
echo "systemctl $*" >>/var/log/gwb-systemctl.log
verb=${1:-}
unit=${2:-}
case $unit in
  ssh | ssh.service | sshd | sshd.service) ;;
  *)
    echo "systemctl (test host): unit '$unit' is not managed here" >&2
    exit 5
    ;;
esac
case $verb in
  reload | restart | try-reload-or-restart | reload-or-restart | try-restart) kill -HUP "$(cat /run/sshd.pid)" ;;
  is-active | is-enabled) exit 0 ;;
  *)
    echo "systemctl (test host): '$verb' is not supported" >&2
    exit 1
    ;;
esac
