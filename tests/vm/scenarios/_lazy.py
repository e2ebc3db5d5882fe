"""DOM0_FILES / CAPTURE_FILES mappings whose content is costly to make (a kernel
download, an image build): made the first time the harness reads them (at image
build, before the VM lock), never when scenarios are only listed."""
import collections.abc


class LazyFiles(collections.abc.Mapping):
    """A subclass says in _make() what the mapping holds; it is made once."""

    _files = None

    def _make(self):
        raise NotImplementedError

    def _get(self):
        if self._files is None:
            self._files = self._make()
        return self._files

    def __getitem__(self, k):
        return self._get()[k]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())
