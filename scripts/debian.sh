# Sourced by the set-up and test scripts: installs a Debian package the scripts need when it is missing.
install_debian_package() {  # $1: the package, $2: what it is for
  echo "Installing Debian's $1 for $2"
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  $apt_get update -qq && DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq "$1" >/dev/null || {
    echo "Could not install $1: install the '$1' package, then run this again." >&2
    exit 1
  }
}
