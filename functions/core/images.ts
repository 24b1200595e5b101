// Image references as registries read them: `alpine` is docker.io/library/alpine:latest, `org/app:1` is
// docker.io/org/app:1, and a first part with a dot, a colon or `localhost` names its registry.
export function fullImageName(image: string): string {
  if (!image) return image;
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasRegistry ? image : `docker.io/${slash === -1 ? `library/${image}` : image}`;
  // A tag is after the last slash; a digest (@sha256:…) needs none.
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!last.includes(':') && !name.includes('@')) name = `${name}:latest`;
  return name;
}
