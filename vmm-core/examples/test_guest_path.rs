//! Prints where the build put the test guest (a bzImage built from tests/guest), for scripts.
fn main() {
    println!("{}", env!("VMDESK_TEST_GUEST"));
}
