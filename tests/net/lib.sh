# Shared by the tests/net shell tests that drive `otasim device`: sourced, not run.

# wait_for FILE TEXT: until TEXT appears in FILE (a device's console, a log), at most 20 s;
# status 1 on the timeout.
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 200 ] && return 1
        sleep 0.1
    done
}
