// Brings cdktf's matcher declarations (toHaveResource, …) into every test file's type scope.
import "cdktf/lib/testing/adapters/jest";
